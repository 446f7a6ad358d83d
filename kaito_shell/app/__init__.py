"""Entry points: `kaito` and `kubectl-kaito`."""
