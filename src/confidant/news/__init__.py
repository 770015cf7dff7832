"""Health news: RSS and Atom feeds the operator configured, merged, sanitised, cached."""
