"""The HTTP edge: dependencies, error handlers, middleware, health and serving."""
