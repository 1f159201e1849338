"""Pure functions from domain objects to Block Kit (and the plain text both Slack and the terminal show)."""
