"""Services below the executor: estimator, cost, rules, renderers, kubeconfig."""
