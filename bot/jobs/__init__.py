"""Work the app does on its own: the scheduler's ticker and what it runs (digests)."""
