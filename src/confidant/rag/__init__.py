"""Retrieval over a user's own diary and chats: split, embed, store, hybrid search."""
