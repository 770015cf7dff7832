"""Live voice calls: a WebRTC peer per call that listens, takes turns, answers through
the reply pipeline and speaks, with barge-in."""
