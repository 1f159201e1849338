"""App assembly, settings, command line and scheduler of renewals-bot."""
