"""`python -m kaito_shell` runs the standalone `kaito` entry point."""

from kaito_shell.app.cli import main

raise SystemExit(main())
