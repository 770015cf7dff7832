"""Accounts and sign-in: password, PIN, QR code and guest sessions; JWTs."""
