"""The sandbox: a Kubernetes-API-compatible server with a simulated KAITO controller (tests and demos)."""
