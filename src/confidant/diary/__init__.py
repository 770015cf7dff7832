"""The diary: entries with date, text, mood and tags; import from files."""
