"""The command registry: the single declarative source for parser, completion, help, docs and CLIs."""
