"""The kube gateway: the official kubernetes client behind one small, timed, error-translating API."""
