"""Command handlers: each takes an Invocation and returns a Result."""
