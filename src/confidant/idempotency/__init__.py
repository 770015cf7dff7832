"""Idempotency keys: a creating request sent again with the same `Idempotency-Key` answers
what the first one did and stores nothing new."""
