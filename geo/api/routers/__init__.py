"""The HTTP routes, one module per resource; each translates a request into calls below it."""
