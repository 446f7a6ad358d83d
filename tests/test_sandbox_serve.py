"""`kaito sandbox serve` for other clients, and `kaito --sandbox` for one-shot runs."""

import os
import shutil
import signal
import subprocess
import time

from conftest import venv_bin, wait_until


def test_serve_writes_a_kubeconfig_kubectl_can_use(tmp_path):
    kubeconfig = tmp_path / "sb.kubeconfig"
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    server = subprocess.Popen([str(venv_bin() / "kaito"), "sandbox", "serve", "--kubeconfig-out", str(kubeconfig),
                               "--instant", "--scenario", "crash-loop"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        banner = server.stdout.readline()
        assert banner.startswith("KAITO sandbox serving at https://127.0.0.1:")
        wait_until(lambda: kubeconfig.exists())
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        kubectl = shutil.which("kubectl", path=f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}")
        listed = subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
                                capture_output=True, text=True, timeout=60)
        assert "namespace/kaito-workspace" in listed.stdout
        client_env = {**env, "KUBECONFIG": str(kubeconfig)}
        deployed = subprocess.run([str(venv_bin() / "kaito"), "deploy", "--name", "w", "--model", "phi-4",
                                   "--instance-type", "Standard_NC24ads_A100_v4", "--yes"], capture_output=True,
                                  text=True, env=client_env, timeout=60)
        assert deployed.returncode == 0, deployed.stderr
        status = subprocess.run([str(venv_bin() / "kaito"), "status", "w"], capture_output=True, text=True,
                                env=client_env, timeout=60)
        assert "crash-looping" in status.stdout
        server.send_signal(signal.SIGINT)  # after requests: server threads exist that could take the signal
        started = time.monotonic()
        assert server.wait(10) == 0 and time.monotonic() - started < 1.5
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(20)


def test_one_shot_with_an_in_process_sandbox(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1", "KAITO_SANDBOX_SPEED": "50"}
    env.pop("KUBECONFIG", None)
    run = subprocess.run([str(venv_bin() / "kaito"), "--sandbox", "-c",
                          "deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 "
                          "--yes --wait; status -o name"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "workspace/phi4 is Ready" in run.stdout and run.stdout.rstrip().endswith("workspace/phi4")
    assert "sandbox cluster at https://127.0.0.1:" in run.stderr
