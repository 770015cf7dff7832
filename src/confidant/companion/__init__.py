"""The one reply pipeline every channel shares: crisis screen, grounding, the user's
adapter, the model, and the stored turn, as one stream of events."""
