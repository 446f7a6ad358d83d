"""The executor: one pipeline from a parsed command to a Result, shared by shell, batch and one-shot."""
