"""`renewals-bot`: every command (`main.py`) and all terminal rendering (`terminal.py`)."""
