"""kaito-shell: one command language for KAITO (kaito.sh) — shell, one-shot CLI, kubectl plugin, batch files."""

__version__ = "0.1.0"
KAITO_TARGET = "v0.12.0"
