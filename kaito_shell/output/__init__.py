"""Results and the formatters that render them (table, wide, json, yaml, name, manifests)."""
