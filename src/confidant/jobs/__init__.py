"""Background jobs, enqueued only once the transaction that asked for them commits."""
