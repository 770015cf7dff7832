"""Chats with the companion: history, streaming replies (SSE, WebSocket), the query API."""
