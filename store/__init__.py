"""Models, queries, domain rules and migrations. No Slack in here."""
