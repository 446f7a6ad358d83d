"""The test harness's stand-in for the cluster network and the model servers (no pod network, GPU or vLLM here).

The API server sends its cluster traffic (service and pod proxy, kubelet logs, webhooks) through this HTTP CONNECT
proxy (an EgressSelectorConfiguration written by `scripts/realstack up`):
- to port 5000 of a KAITO pod's address, it answers itself what KAITO's inference server answers, as the
  sandbox's model of vLLM's OpenAI server does (kaito_shell/sandbox/vllm.py: /health, /v1/models with the served
  name KAITO gives vLLM, chat whole or streamed, vLLM's /metrics; answers say they are the sandbox's); for a RAG
  engine's pod, KAITO's RAG API as kaito_shell/sandbox/ragservice.py answers it
  (BM25 instead of embeddings; answers say they are a stand-in's);
- to 127.0.0.1 (kwok's kubelet endpoint, KAITO's webhook), it relays the connection;
- anything else is refused.
Logs in DIR/logs/model-server.log.

python modelserver.py KUBECONFIG SOCKET
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from kaito_shell.sandbox.tls import read_head

MODEL_PORT = 5000
RELAYED = ("127.0.0.1", "localhost")


def served_name(pod: dict[str, Any], workspace: dict[str, Any] | None) -> str:
    """What KAITO tells vLLM to serve as: the InferenceSet's name for its replicas, else the preset's last segment,
    lower-cased."""
    labels = pod["metadata"].get("labels") or {}
    if labels.get("inferenceset.kaito.sh/created-by"):
        return str(labels["inferenceset.kaito.sh/created-by"])
    preset = (((workspace or {}).get("inference") or {}).get("preset") or {}).get("name") or "unknown"
    return str(preset).rsplit("/", 1)[-1].lower()


class ModelServer(BaseHTTPRequestHandler):
    """KAITO's inference server's answers for one pod (run on a connection the proxy accepted): the sandbox's model
    of vLLM's OpenAI server (kaito_shell/sandbox/vllm.py: /health, /version, /v1/models, /v1/chat/completions whole
    or streamed as server-sent events, vLLM's /metrics moved by the requests it gets), one per pod, so the real API
    server's service and pod proxies are exercised with real traffic and streams."""

    served = "unknown"
    key: tuple[str, str] = ("", "")  # (namespace, pod)
    view: Any = None

    def log_message(self, format: str, *args: Any) -> None:
        print(f"model-server ({self.served}): {format % args}", flush=True)

    def _reply(self, reply: Any) -> None:
        """A stand-in's Reply: whole, or (a stream) written as it is made, the connection's end closing it."""
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.stream is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.close_connection = True
        try:
            for data in reply.stream:
                self.wfile.write(data)
                self.wfile.flush()
        except OSError:  # the client (the API server's proxy) went away: the generation stops
            pass
        finally:
            getattr(reply.stream, "close", lambda: None)()

    def _answer(self) -> None:
        from kaito_shell.sandbox.vllm import PodServer

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with POD_LOCK:
            server = POD_SERVERS.setdefault(self.key, PodServer())
        self._reply(server.handle(self.command, self.path.split("?", 1)[0], body, self.view))

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()


POD_SERVERS: dict[tuple[str, str], Any] = {}  # (namespace, pod) → its model server (sandbox/vllm.PodServer)
POD_LOCK = threading.Lock()


def pod_view(pod: dict[str, Any], workspace: dict[str, Any] | None) -> Any:
    """What the pod's model server needs to know: ready (the harness only relays to running pods), the served name,
    the preset and its context length from KAITO's catalog."""
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.sandbox.vllm import DEFAULT_MAX_NUM_SEQS, PodView

    preset = str((((workspace or {}).get("inference") or {}).get("preset") or {}).get("name") or "unknown")
    model = load_catalog().model(preset)
    context = model.context_limit if model is not None else 2048
    return PodView(ready=True, started=None, download_seconds=0.0, weights_bytes=None,
                   served=served_name(pod, workspace), root=preset, max_model_len=context,
                   max_num_seqs=DEFAULT_MAX_NUM_SEQS, kv_capacity=context * 8, rate_limited=False)


RAG_SERVICES: dict[tuple[str, str], Any] = {}  # (namespace, RAGEngine) → its stand-in RAG service
RAG_LOCK = threading.Lock()


class RagServer(ModelServer):
    """KAITO's RAG service API, answered by the same stand-in the sandbox uses (kaito_shell/sandbox/ragservice.py:
    KAITO's paths, bodies and errors; BM25 instead of embeddings), one per RAGEngine. KAITO's own service needs
    torch and an embedding model, which this harness does not install."""

    namespace = "default"
    has_llm = False

    def _answer(self) -> None:
        from urllib.parse import urlsplit

        from kaito_shell.sandbox.backends import Request
        from kaito_shell.sandbox.ragservice import RagService

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with RAG_LOCK:
            service = RAG_SERVICES.get((self.namespace, self.served))
            if service is None:
                import tempfile
                from pathlib import Path

                folder = Path(tempfile.mkdtemp(prefix="realstack-rag-"))
                service = RAG_SERVICES[(self.namespace, self.served)] = RagService(folder, self.has_llm)
            service.has_llm = self.has_llm
        url = urlsplit(self.path)
        self._reply(service.handle(Request(self.command, url.path, url.query, body, self.namespace, {})))

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()


class Proxy:
    def __init__(self, kubeconfig: str, path: str) -> None:
        from kubernetes import client as k8s
        from kubernetes import config

        self.api = config.new_client_from_config(config_file=kubeconfig, context="realstack", persist_config=False)
        self.core, self.custom = k8s.CoreV1Api(self.api), k8s.CustomObjectsApi(self.api)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)

    def serve(self) -> None:
        print(f"model-server: cluster-network proxy on {self.listener.getsockname()}", flush=True)
        while True:
            conn, _ = self.listener.accept()
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        try:
            head = read_head(conn.recv)
            if head is None:
                return
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                return
            handler = self.stand_in_at(host) if int(port) == MODEL_PORT else None
            if handler is not None:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                handler(conn, (host, int(port)), None)  # type: ignore[arg-type]
            elif host in RELAYED:
                self.relay(conn, host, int(port))
            else:
                print(f"model-server: refused CONNECT {target}", flush=True)
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
        except Exception as exc:  # one connection's trouble
            print(f"model-server: {type(exc).__name__}: {exc}", flush=True)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stand_in_at(self, address: str) -> type[ModelServer] | None:
        """What answers for the running KAITO pod with this address (a model server or a RAG service), or None."""
        pods = self.core.list_pod_for_all_namespaces(field_selector=f"status.podIP={address}").items
        for pod in (self.api.sanitize_for_serialization(p) for p in pods):
            labels = pod["metadata"].get("labels") or {}
            if "kaito.sh/ragengine" in labels:
                namespace, name = pod["metadata"]["namespace"], labels["kaito.sh/ragengine"]
                try:
                    engine = self.custom.get_namespaced_custom_object("kaito.sh", "v1beta1", namespace,
                                                                      "ragengines", name)
                except Exception:
                    engine = {}
                has_llm = bool(((engine.get("spec") or {}).get("inferenceService") or {}).get("url"))
                return type("PodRagServer", (RagServer,), {"served": name, "namespace": namespace,
                                                            "has_llm": has_llm})
            if "kaito.sh/workspace" not in labels:
                continue
            try:
                workspace = self.custom.get_namespaced_custom_object(
                    "kaito.sh", "v1beta1", pod["metadata"]["namespace"], "workspaces", labels["kaito.sh/workspace"])
            except Exception:
                workspace = None
            return type("PodModelServer", (ModelServer,), {
                "served": served_name(pod, workspace), "view": pod_view(pod, workspace),
                "key": (pod["metadata"]["namespace"], pod["metadata"]["name"])})
        return None

    @staticmethod
    def relay(conn: socket.socket, host: str, port: int) -> None:
        upstream = socket.create_connection((host, port), timeout=10)
        upstream.settimeout(None)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join()
        upstream.close()


if __name__ == "__main__":
    Proxy(sys.argv[1], sys.argv[2]).serve()
