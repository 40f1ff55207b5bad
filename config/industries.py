"""The industries Veilleur ships a topic list for (reports/topic_lists/INDUSTRY.toml), chosen by `[reports]
industry`. Here, on the settings' floor, so settings validation and the reports read one registry."""

INDUSTRIES = ("retail", "restaurant", "hotel", "app", "bank", "telecom")
NONE = "none"  # no shipped list: the settings' [[reports.topics]] alone
