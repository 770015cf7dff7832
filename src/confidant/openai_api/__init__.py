"""The OpenAI-compatible facade (/v1): any OpenAI client talks to a user's companion."""
