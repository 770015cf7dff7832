"""Safety: the crisis screen every user message passes, and crisis resources by locale."""
