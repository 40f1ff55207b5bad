"""Every HTTP route of `veilleur serve`: the console, Slack's buttons, the survey intake, the brand's feed."""
