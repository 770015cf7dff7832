"""Confidant: a self-hostable backend for a private AI wellbeing companion."""

__version__ = "0.1.0"
