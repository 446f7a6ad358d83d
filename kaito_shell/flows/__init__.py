"""Cluster workflows that talk and wait: apply (preview, diff, confirm), follow, wait, fan-out."""
