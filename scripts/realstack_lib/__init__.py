"""The real stack for kaito-shell's `real` test tier: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
and kwok built from their Go modules, run on 127.0.0.1 (scripts/realstack build|up|down). See docs/testing.md."""
