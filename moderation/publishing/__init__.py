"""What the brand's site sees: the published feed (JSON, HTML with schema.org JSON-LD), the signed webhook push
of its changes, and the disclosure page that says how reviews are checked (DESIGN.md rules 3 to 5)."""
