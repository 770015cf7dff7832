"""Envelope encryption: master keys wrap per-owner data keys; fields are AES-256-GCM."""
