"""Every command of the kaito language, declared once.

The parser, completion, `help`, `kaito CMD --help`, docs/commands.md, the one-shot CLI and the
kubectl plugin all read REGISTRY.  Adding a command = one handler module + one entry here.
"""

from __future__ import annotations

from kaito_shell.registry.spec import (
    BOOL,
    DNS_LABEL,
    DNS_SUBDOMAIN,
    DURATION,
    FLOAT,
    INT,
    KEYVALUE,
    MAP,
    OUTPUT_FORMATS,
    PATH,
    REF,
    ArgSpec,
    CommandSpec,
    FlagSpec,
    Group,
    Registry,
)

TABLE_OUT = ("table", "wide", "json", "yaml")
LIST_OUT = ("table", "wide", "json", "yaml", "name")
MANIFEST_OUT = ("yaml", "json")
RENDER_OUT = ("yaml", "json", "name")  # deploy, tune, rag deploy: the manifests (--dry-run), else what was applied
CHANGE_OUT = ("json", "yaml", "name")  # mutations: the text says what happened; these give a record of it

# Global flags: accepted before or after any command, as in kubectl.
GLOBAL_FLAGS = (
    FlagSpec("kubeconfig", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)", PATH, completer="file"),
    FlagSpec("context", "kube context to use", completer="context"),
    FlagSpec("namespace", "namespace to use", DNS_LABEL, short="n", completer="namespace"),
    FlagSpec("output", "output format", short="o", choices=OUTPUT_FORMATS, completer="output"),
    FlagSpec("debug", "show tracebacks and debug detail on errors", BOOL),
    FlagSpec("show-secrets", "print secret values (passwords and signatures in URLs, tokens) in the result instead "
             "of masking them; never in history, previews or errors", BOOL),
    FlagSpec("timeout", "seconds to wait for each cluster call", FLOAT, minimum=0.1, default=10.0, metavar="SECONDS"),
    FlagSpec("cluster", "run on these kube contexts in parallel (status, get, health, deploy --dry-run)",
             metavar="CTX,CTX", completer="context"),
    FlagSpec("all-clusters", "run on every context of the kubeconfig in parallel", BOOL),
    FlagSpec("sandbox", "start a local sandbox cluster and use it (contexts sandbox, sandbox-viewer)", BOOL),
)

# Flags shared by several commands.
MODEL = FlagSpec("model", "model: Hugging Face id (microsoft/Phi-4-mini-instruct) or legacy alias (phi-4-mini-instruct)",
                 required=True, completer="model", metavar="MODEL")
MODEL_OPT = FlagSpec("model", "model: Hugging Face id or legacy alias", completer="model", metavar="MODEL")
INSTANCE_TYPE = FlagSpec("instance-type", "GPU VM size (KAITO SKU, case-insensitive)", completer="sku", metavar="SKU")
NAME = FlagSpec("name", "resource name (DNS-1123 label: lower-case letters, digits, '-')", DNS_LABEL, required=True,
                completer="workspace", metavar="NAME")
LABEL_SELECTOR = FlagSpec("label-selector", "node label selector (matchLabels); default apps=NAME; with your own GPU "
                          "nodes (BYO), the labels that pick them", MAP, metavar="K=V,…", completer="node_label")
DRY_RUN = FlagSpec("dry-run", "render and validate, print the manifests, change nothing (offline; with --cluster "
                   "also a server-side dry-run per cluster)", BOOL)
YES = FlagSpec("yes", "apply without asking (for scripts and CI)", BOOL, short="y")
WAIT = FlagSpec("wait", "after applying, follow it until Ready, failed or --wait-timeout", BOOL)
WAIT_TIMEOUT = FlagSpec("wait-timeout", "how long --wait waits", DURATION, default=1800)
MAX_MODEL_LEN = FlagSpec("max-model-len", "context length to size for (vLLM max-model-len; estimator default 2048)",
                         INT, minimum=1, metavar="TOKENS")
FEATURE_GATES = FlagSpec("feature-gates", "controller feature gates to validate against (default: chart defaults)",
                         MAP, repeatable=True, completer="feature_gate", metavar="GATE=BOOL,…")
WORKSPACE_REF = ArgSpec("workspace", "NAME or workspace/NAME (defaults to the current workspace)", REF,
                        completer="workspace", ref_kinds=("workspace",), default_from_session="workspace")
SERVED_REF = ArgSpec("workspace", "NAME, workspace/NAME, inferenceset/NAME or ragengine/NAME (defaults to the current "
                     "workspace)", REF, completer="resource", ref_kinds=("workspace", "inferenceset", "ragengine"),
                     default_from_session="workspace")
ANY_REF = ArgSpec("resource", "workspace/NAME, inferenceset/NAME or ragengine/NAME", REF, required=False,
                  completer="resource", ref_kinds=("workspace", "inferenceset", "ragengine"),
                  default_from_session="workspace")
TUNING_REF = ArgSpec("workspace", "NAME or workspace/NAME of a tuning workspace (default: the current workspace)",
                     REF, completer="workspace", ref_kinds=("workspace",), default_from_session="workspace")
TUNING_NAME = FlagSpec("name", "the tuning workspace (same as the positional NAME)", DNS_LABEL, completer="workspace",
                       metavar="NAME", into="workspace")
PRICES = FlagSpec("prices", "your price table (CSV: instance_type, price_ondemand_usd_per_hr, …) over the bundled "
                  "one; KAITO_PRICES sets it for the session", PATH, completer="file", metavar="FILE")
LOGS_WORKSPACE = FlagSpec("workspace", "the workspace whose pods to read", DNS_LABEL, completer="workspace",
                          metavar="NAME")
LOGS_RAGENGINE = FlagSpec("ragengine", "the RAG engine whose pods to read", DNS_LABEL, completer="ragengine",
                          metavar="NAME")
MONITOR_OUT = ("dashboard", "table", "wide", "json", "yaml")
MONITOR_FLAGS = (
    FlagSpec("show-gpu-utilization", "GPU utilisation and memory per GPU (DCGM exporter)", BOOL),
    FlagSpec("show-memory-usage", "the pods' CPU and memory (metrics.k8s.io)", BOOL),
    FlagSpec("interval", "seconds between readings", FLOAT, minimum=0, default=2.0, metavar="SECONDS"))
ALERT_WORKSPACE = FlagSpec("workspace", "the workspace the alerts are about", DNS_LABEL, required=True,
                           completer="workspace", metavar="NAME")
TUNE_METRICS_FLAGS = (
    TUNING_NAME, FlagSpec("show-loss-curve", "draw the loss over the epochs in the terminal", BOOL),
    FlagSpec("show-gpu-utilization", "GPU utilisation and memory from the cluster's DCGM exporter", BOOL),
    FlagSpec("watch", "print new records as the trainer logs them, until the run ends (Ctrl-C stops)", BOOL, short="w"))
INFERENCE_METRICS_FLAGS = (
    FlagSpec("interval", "seconds between the two scrapes that give rates (0: one scrape, no rates)", FLOAT,
             minimum=0, default=5.0, metavar="SECONDS"),
    FlagSpec("per-pod", "a column per pod beside the total", BOOL),
    FlagSpec("show-throughput", "also prompt tokens, preemptions and rate-limit rejections", BOOL),
    FlagSpec("show-latency", "every latency: time to first token, inter-token, end-to-end, queue (p50/p95/p99)", BOOL),
    FlagSpec("watch", "a line per --interval until Ctrl-C", BOOL, short="w"))
CONFIG_NAME = FlagSpec("name", "ConfigMap name (DNS-1123 subdomain)", DNS_SUBDOMAIN, required=True, metavar="NAME")
CONFIGMAP_ARG = ArgSpec("configmap", "ConfigMap name", DNS_SUBDOMAIN)
FROM_TEMPLATE = FlagSpec("from-template", "start from this template: KAITO's (lora, qlora, inference) or a user "
                         "template in the namespace", completer="template", metavar="TEMPLATE")
TRAINING_SET = FlagSpec("set", "change a value: SECTION.FIELD=VALUE, or a short form (lora.r, lora.alpha, epochs, lr)",
                        KEYVALUE, repeatable=True, completer="config_key", metavar="FIELD=VALUE")
INFERENCE_SET = FlagSpec("set", "change a value: a vLLM flag (max-model-len=4096, vllm.gpu-memory-utilization=0.9) "
                         "or a KAITO key", KEYVALUE, repeatable=True, completer="inference_key", metavar="FIELD=VALUE")
RAG_OPTIONAL_REF = ArgSpec("ragengine", "NAME or ragengine/NAME (or give --name)", REF, required=False,
                           completer="ragengine", ref_kinds=("ragengine",))
RAG_NAME = FlagSpec("name", "the RAG engine", DNS_LABEL, completer="ragengine", metavar="NAME")
RAG_INDEX = FlagSpec("index", "index name (default: default)", metavar="INDEX")
RAGENGINE_REF = ArgSpec("ragengine", "ragengine/NAME", REF, completer="ragengine", ref_kinds=("ragengine",))
REQUIRED_REF = ArgSpec("resource", "workspace/NAME, inferenceset/NAME or ragengine/NAME (default: the current "
                       "workspace)", REF, completer="resource",
                       ref_kinds=("workspace", "inferenceset", "ragengine"), default_from_session="workspace")
GET_REF = ArgSpec("resource", "a kind (workspaces, inferencesets, ragengines) or KIND/NAME", required=False,
                  completer="resource")
ALL_NAMESPACES = FlagSpec("all-namespaces", "every namespace", BOOL, short="A")
NODE_PROVISIONERS = ("azure-gpu-provisioner", "karpenter", "byo")
SCENARIOS = ("none", "no-gpu-quota", "image-pull-failure", "crash-loop", "kv-cache-too-small", "gated-model",
             "rate-limited", "stuck-delete", "tuning-oom", "dataset-unreachable", "push-denied", "no-gpu-metrics",
             "no-metrics-server", "no-prometheus-operator", "cost-history", "opencost")
HEALTH_OUT = ("table", "wide", "json", "yaml", "report")

DEPLOY_FLAGS = (
    NAME,
    MODEL,
    INSTANCE_TYPE,
    FlagSpec("runtime", "inference runtime", choices=("vllm", "transformers"), default="vllm", completer="runtime"),
    FlagSpec("adapter", "LoRA adapter image, named after the image or as NAME=IMAGE (at most 10)", repeatable=True,
             metavar="IMAGE|NAME=IMAGE"),
    FlagSpec("adapter-strength", "adapter strength 0..1: S for the one adapter, else NAME=S,… (Transformers only)",
             repeatable=True, metavar="S|NAME=S,…"),
    FlagSpec("model-access-secret", "Secret (key HF_TOKEN) for gated Hugging Face models", DNS_SUBDOMAIN, completer="secret",
             metavar="SECRET"),
    LABEL_SELECTOR,
    FlagSpec("inference-config", "ConfigMap name (checked in the cluster before apply), or a local "
             "inference_config.yaml to render as a ConfigMap", completer="file", metavar="CONFIGMAP|FILE"),
    FlagSpec("config-file", "a local copy of the --inference-config ConfigMap's inference_config.yaml, checked "
             "offline", PATH, completer="file", metavar="FILE"),
    MAX_MODEL_LEN,
    FlagSpec("enable-load-balancer", "expose the Service as a LoadBalancer (kaito.sh/enablelb: \"True\")", BOOL),
    FlagSpec("distributed", "accepted for the proposal's spelling: KAITO v0.12 runs vLLM across nodes by itself "
             "when one is too small", BOOL, subkeys=(
        FlagSpec("distributed.enabled", "same as --distributed", BOOL, into="distributed"),
        FlagSpec("distributed.partitions", "same as --nodes", INT, minimum=1, into="nodes"),
    )),
    FlagSpec("nodes", "most GPU nodes you accept (KAITO's estimator sets the real count; fewer is an error)", INT,
             minimum=1),
    FlagSpec("preferred-nodes", "your own GPU nodes to prefer (BYO; resource.preferredNodes)", metavar="NODE,NODE"),
    FlagSpec("replicas", "create an InferenceSet with this many replica workspaces", INT, minimum=0),
    FlagSpec("performance-mode", "vLLM performance mode annotation",
             choices=("balanced", "interactivity", "throughput")),
    FlagSpec("disable-benchmark", "skip KAITO's post-load benchmark (kaito.sh/disable-benchmark)", BOOL),
    FlagSpec("bypass-resource-checks", "turn GPU-fit errors into warnings (kaito.sh/bypass-resource-checks)", BOOL),
    FEATURE_GATES,
    DRY_RUN,
    YES,
    WAIT,
    WAIT_TIMEOUT,
)

TUNE_FLAGS = (
    NAME,
    FlagSpec("model", "tunable model (see `models list --tunable`)", required=True, completer="tunable_model",
             metavar="MODEL"),
    FlagSpec("method", "tuning method", choices=("lora", "qlora"), required=True, completer="method"),
    FlagSpec("input", "training data: http(s) URLs, one image reference, or one pvc://CLAIM", secret=True,
             repeatable=True, required=True, metavar="URL|IMAGE|pvc://CLAIM"),
    FlagSpec("input-pull-secret", "image pull secret for an image input", DNS_SUBDOMAIN, repeatable=True,
             completer="secret"),
    FlagSpec("output", "where the adapter goes: image reference or pvc://CLAIM", required=True,
             metavar="IMAGE|pvc://CLAIM"),
    FlagSpec("output-push-secret", "image push secret (required for an image output)", DNS_SUBDOMAIN, completer="secret"),
    FlagSpec("config", "ConfigMap name (checked in the cluster before apply), or a local training_config.yaml to "
             "render as a ConfigMap", completer="file", metavar="CONFIGMAP|FILE"),
    FlagSpec("config-file", "a local copy of the --config ConfigMap's training_config.yaml, checked offline",
             PATH, completer="file", metavar="FILE"),
    FlagSpec("epochs", "TrainingArguments.num_train_epochs", INT, minimum=1),
    FlagSpec("batch-size", "TrainingArguments.per_device_train_batch_size", INT, minimum=1),
    FlagSpec("set", "override a training_config value, e.g. lora.r=16 or TrainingArguments.learning_rate=2e-4",
             KEYVALUE, repeatable=True, completer="config_key", metavar="SECTION.FIELD=VALUE"),
    INSTANCE_TYPE,
    FlagSpec("auto-optimize-resources", "pick the cheapest single-node size whose GPU memory covers the model's "
             "tuning requirement (instead of --instance-type); lists the alternatives", BOOL),
    FlagSpec("clouds", "with --auto-optimize-resources: the clouds to pick from (default: all)",
             metavar="azure,aws"),
    FlagSpec("show-cost-estimate", "the $/h, and the run's cost when --dataset-rows and --samples-per-second say "
             "how long it takes", BOOL),
    FlagSpec("dataset-rows", "training examples in the dataset (for --show-cost-estimate)", INT, minimum=1),
    FlagSpec("samples-per-second", "training throughput (the Trainer's train_samples_per_second of a past run)",
             FLOAT, minimum=0.0001),
    LABEL_SELECTOR,
    DRY_RUN,
    YES,
    WAIT,
    WAIT_TIMEOUT,
)

RAG_DEPLOY_FLAGS = (
    NAME,
    FlagSpec("embedding-model", "local embedding model (Hugging Face id); default BAAI/bge-small-en-v1.5",
             metavar="MODEL_ID"),
    FlagSpec("embedding-url", "remote embedding endpoint URL (instead of a local model)", secret=True, metavar="URL"),
    FlagSpec("embedding-secret", "Secret for the remote embedding endpoint or a gated local model", DNS_SUBDOMAIN,
             completer="secret"),
    FlagSpec("inference-url", "OpenAI-compatible chat completions URL of the LLM", secret=True, metavar="URL"),
    FlagSpec("llm-workspace", "KAITO workspace serving the LLM (resolved to its service URL)", DNS_LABEL,
             completer="workspace", metavar="WORKSPACE"),
    FlagSpec("inference-secret", "Secret (key LLM_ACCESS_SECRET) for the LLM endpoint", DNS_SUBDOMAIN, completer="secret"),
    FlagSpec("context-window", "LLM context window in tokens (inferenceService.contextWindowSize)", INT, minimum=1),
    INSTANCE_TYPE,
    LABEL_SELECTOR,
    FlagSpec("storage-pvc", "PersistentVolumeClaim for FAISS index persistence", DNS_SUBDOMAIN, metavar="CLAIM"),
    FlagSpec("mount-path", "where the PVC mounts (default /mnt/data)", metavar="PATH"),
    FlagSpec("vector-store", "where the index lives: faiss (in the RAG pod; default) or qdrant (--vector-db-url)",
             choices=("faiss", "qdrant")),
    FlagSpec("vector-db-url", "Qdrant URL (hybrid dense + BM25 search) instead of FAISS", secret=True, metavar="URL"),
    FlagSpec("vector-db-secret", "Secret (key VECTOR_DB_ACCESS_SECRET) for the vector DB", DNS_SUBDOMAIN, completer="secret"),
    FlagSpec("guardrails", "enable output guardrails", BOOL),
    FlagSpec("guardrails-config", "ConfigMap with guardrails.yaml (default: the chart's policy template)", DNS_SUBDOMAIN,
             metavar="CONFIGMAP"),
    FlagSpec("enable-load-balancer", "expose the Service as a LoadBalancer", BOOL),
    DRY_RUN,
    YES,
    WAIT,
    WAIT_TIMEOUT,
)



def _config_create(kind: str, summary: str, flags: tuple[FlagSpec, ...], example: str) -> CommandSpec:
    """`config create-tuning` / `config create-inference`: render a ConfigMap (planner), then apply it."""
    return CommandSpec(("config", f"create-{kind}"), summary, f"kaito_shell.commands.configmaps:run_{kind}",
                       (CONFIG_NAME, *flags[:-1], FROM_TEMPLATE, flags[-1], DRY_RUN, YES),
                       planner=f"kaito_shell.commands.configmaps:plan_{kind}", outputs=RENDER_OUT,
                       default_output="yaml", mutates=True, examples=(example,))


GROUPS = [
    Group(("models",), "browse the model catalog, check fit, estimate GPUs", aliases=("model",)),
    Group(("tune",), "fine-tune a model (tune --name …), then follow the run: tune status|logs|metrics"),
    Group(("rag",), "RAG engines: deploy, index, query"),
    Group(("config",), "KAITO configuration templates and files"),
    Group(("config", "templates"), "KAITO's inference / lora / qlora / guardrails templates, and user templates"),
    Group(("cost",), "what a deployment costs"),
    Group(("health",), "health checks of workspaces"),
    Group(("metrics",), "metrics of inference pods, RAG engines and tuning runs"),
    Group(("monitor",), "live dashboards"),
    Group(("logs",), "pod logs: analysis and search"),
    Group(("alerts",), "alerts about workspaces"),
    Group(("features",), "controller feature gates"),
    Group(("adapters",), "LoRA adapters of a workspace"),
    Group(("auth",), "RBAC checks"),
    Group(("use",), "switch the session's context, namespace or workspace"),
    Group(("sandbox",), "the local Kubernetes-compatible sandbox"),
    Group(("server",), "the background server that makes one-shot commands start fast"),
]

COMMANDS = [
    # ---- deploy, tune, rag ----
    CommandSpec(
        ("deploy",), "deploy a model for inference (Workspace, or InferenceSet with --replicas)",
        "kaito_shell.commands.deploy:run", DEPLOY_FLAGS, planner="kaito_shell.commands.deploy:plan",
        outputs=RENDER_OUT, default_output="yaml", mutates=True, multi_cluster=True,
        description="Validates against KAITO v0.12's webhook rules and the node estimator, then renders "
                    "kaito.sh/v1beta1 manifests. With --dry-run nothing needs a cluster. Otherwise: server-side "
                    "dry-run, YAML preview and diff against the live object, confirm [y/N/e], apply.",
        examples=(
            "deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --dry-run",
            "deploy --name llama --model meta-llama/Llama-3.1-8B-Instruct --instance-type Standard_NC24ads_A100_v4 "
            "--model-access-secret hf-token --dry-run",
            "deploy --name qwen --model qwen2.5-coder-7b-instruct --instance-type Standard_NV36ads_A10_v5 "
            "--adapter sql=myacr.azurecr.io/sql-lora:1 --replicas 2 --dry-run",
        ),
    ),
    CommandSpec(
        ("tune",), "fine-tune a model with LoRA or QLoRA (tuning Workspace + ConfigMap)",
        "kaito_shell.commands.tune:run", TUNE_FLAGS, planner="kaito_shell.commands.tune:plan",
        outputs=RENDER_OUT, default_output="yaml", mutates=True,
        description="Here --output is where the adapter goes (KAITO's tuning.output); use -o for the print format.",
        examples=(
            "tune --name phi3-tune --model phi-3-mini-128k-instruct --method qlora "
            "--input https://example.com/data.parquet --output myacr.azurecr.io/phi3-adapter:0.1 "
            "--output-push-secret acr-push --instance-type Standard_NC24ads_A100_v4 --epochs 2 --dry-run",
            "tune --name t1 --model phi-4-mini-instruct --method lora --input pvc://datasets --output pvc://adapters "
            "--set lora.r=16 --instance-type Standard_NC24ads_A100_v4 --dry-run",
        ),
    ),
    CommandSpec(
        ("tune", "status"), "a tuning run: KAITO's conditions, the Job, progress and loss from the trainer's log, "
        "why it failed, where the adapter went", "kaito_shell.commands.tuning:status", args=(TUNING_REF,),
        flags=(TUNING_NAME,), outputs=TABLE_OUT, default_output="table", needs_cluster=True,
        description="Progress (step of total, epoch, elapsed, ETA) and loss are the trainer's own figures from its "
                    "log. A failed run names the container that failed and why (CUDA out of memory, a dataset URL "
                    "that does not download, a registry that refuses the push, a missing push Secret). Exit code 1 "
                    "when it failed or cannot go on.",
        examples=("tune status phi4-tune", "tune status workspace/phi4-tune -o json")),
    CommandSpec(
        ("tune", "logs"), "logs of a tuning Job: every container of its pods (previous runs included)",
        "kaito_shell.commands.tuning:logs", args=(TUNING_REF,),
        flags=(TUNING_NAME, FlagSpec("follow", "stream new lines of the running containers (Ctrl-C stops)", BOOL,
                                     short="f"),
               FlagSpec("tail", "last N lines per container", INT, minimum=0),
               FlagSpec("since", "only newer than this (e.g. 1h)", DURATION)),
        needs_cluster=True, examples=("tune logs phi4-tune --tail 20", "tune logs phi4-tune --follow")),
    CommandSpec(
        ("tune", "metrics"), "loss, eval loss, learning rate and grad norm from the trainer's log; loss curve; GPU use",
        "kaito_shell.commands.tuning:metrics", args=(TUNING_REF,), flags=TUNE_METRICS_FLAGS,
        outputs=TABLE_OUT, default_output="table", needs_cluster=True,
        examples=("tune metrics phi4-tune --show-loss-curve", "tune metrics phi4-tune -o json",
                  "tune metrics phi4-tune --watch")),
    CommandSpec(
        ("rag", "deploy"), "deploy a RAG engine (RAGEngine)", "kaito_shell.commands.rag:run", RAG_DEPLOY_FLAGS,
        planner="kaito_shell.commands.rag:plan", outputs=RENDER_OUT, default_output="yaml", mutates=True,
        examples=(
            "rag deploy --name docs-rag --llm-workspace phi4 --context-window 131072 "
            "--instance-type Standard_NC24ads_A100_v4 --dry-run",
            "rag deploy --name search --embedding-url https://emb.example.com/v1/embeddings "
            "--embedding-secret emb-key --dry-run",
        ),
    ),
    CommandSpec(
        ("rag", "index"), "add files to a RAG engine's index (safe to re-run), list or delete its documents or an "
        "index", "kaito_shell.commands.ragdata:index", args=(RAG_OPTIONAL_REF,),
        flags=(RAG_NAME, RAG_INDEX,
               FlagSpec("add-document", "a file to index: text, Markdown, PDF or source code", PATH, repeatable=True,
                        completer="file", metavar="FILE"),
               FlagSpec("add-documents-dir", "index every file of this folder (and its subfolders)", PATH,
                        completer="file", metavar="DIR"),
               FlagSpec("glob", "with --add-documents-dir: only files matching this pattern (e.g. '*.md')",
                        metavar="PATTERN"),
               FlagSpec("batch-size", "documents per request", INT, minimum=1, maximum=1000, default=50),
               FlagSpec("list-documents", "list the index's documents (paged)", BOOL),
               FlagSpec("limit", "documents per page", INT, minimum=1, maximum=100, default=10),
               FlagSpec("offset", "documents to skip", INT, minimum=0, default=0),
               FlagSpec("metadata-filter", "only documents whose metadata has these values (a JSON object)",
                        metavar="JSON"),
               FlagSpec("delete-document", "delete these documents (ids from --list-documents)", repeatable=True,
                        metavar="DOC_ID"),
               FlagSpec("delete-index", "delete this index and its documents", metavar="INDEX"), YES),
        outputs=TABLE_OUT, needs_cluster=True,
        description="Each document carries metadata path, title and the sha256 of the file: running the same "
                    "command again skips unchanged files and updates changed ones (KAITO's update API). Exit 1 when "
                    "a file failed; Ctrl-C stops after the batch in flight.",
        examples=("rag index --name docs --add-documents-dir ./handbook --glob '*.md'",
                  "rag index ragengine/docs --add-document guide.pdf --add-document app.py",
                  "rag index --name docs --list-documents --limit 20 -o json",
                  "rag index --name docs --delete-index old")),
    CommandSpec(
        ("rag", "query"), "ask a RAG engine (its LLM answers from the index), or only retrieve passages",
        "kaito_shell.commands.ragdata:query", args=(RAG_OPTIONAL_REF,),
        flags=(RAG_NAME, RAG_INDEX, FlagSpec("question", "the question", required=True, metavar="TEXT"),
               FlagSpec("top-k", "passages to retrieve (with --retrieve-only)", INT, minimum=1, maximum=300),
               FlagSpec("show-context", "also print the sources: document, score, snippet", BOOL),
               FlagSpec("stream", "print the answer as it arrives (the default on a terminal)", BOOL),
               FlagSpec("retrieve-only", "rank passages only (/retrieve); no LLM needed", BOOL)),
        outputs=TABLE_OUT, needs_cluster=True,
        examples=("rag query --name docs --question 'How do I rotate the keys?' --show-context",
                  "rag query ragengine/docs --question 'GPU quota' --retrieve-only --top-k 10")),
    CommandSpec(("rag", "status"), "a RAG engine: KAITO's conditions, its pods, the RAG service, its indexes and the "
                "LLM it calls", "kaito_shell.commands.ragops:status", args=(RAG_OPTIONAL_REF,), flags=(RAG_NAME,),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True, examples=("rag status docs",)),
    CommandSpec(("rag", "logs"), "logs of a RAG engine's pod", "kaito_shell.commands.ragops:logs",
                args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, FlagSpec("follow", "stream new lines (Ctrl-C stops)", BOOL, short="f"),
                       FlagSpec("tail", "last N lines", INT, minimum=0),
                       FlagSpec("since", "only newer than this (e.g. 1h)", DURATION)),
                needs_cluster=True, examples=("rag logs docs --tail 50",)),
    CommandSpec(("rag", "scale"), "explains what scales a RAG engine (KAITO runs exactly one replica)",
                "kaito_shell.commands.ragops:scale", args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, FlagSpec("replicas", "replica count", INT, minimum=0, required=True), YES),
                outputs=CHANGE_OUT, needs_cluster=True, examples=("rag scale docs --replicas 1",)),
    CommandSpec(("rag", "delete"), "delete a RAG engine (preview + confirm) and wait for KAITO's finalizer",
                "kaito_shell.commands.ragops:delete", args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, YES, FlagSpec("no-wait", "return without waiting for the finalizers", BOOL),
                       FlagSpec("wait-timeout", "how long to wait for finalizers", DURATION, default=120)),
                outputs=CHANGE_OUT, mutates=True, needs_cluster=True, examples=("rag delete docs --yes",)),
    CommandSpec(("rag", "test"), "run a question file against a RAG engine: keywords, sources, latency, pass rate",
                "kaito_shell.commands.ragops:test", args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, RAG_INDEX,
                       FlagSpec("test-file", "questions: .csv (question, expected_keywords, expected_answer, "
                                "expected_sources) or .jsonl with those keys", PATH, required=True, completer="file"),
                       FlagSpec("output", "write every result here (JSON)", PATH, completer="file", metavar="FILE"),
                       FlagSpec("concurrency", "questions asked at once", INT, minimum=1, maximum=64, default=4),
                       FlagSpec("min-pass-rate", "exit 1 when fewer pass (0..1)", FLOAT, minimum=0, maximum=1),
                       FlagSpec("retrieve-only", "check retrieval only (keywords in the passages)", BOOL)),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("rag test --name docs --test-file questions.csv --output results.json --min-pass-rate 0.8",)),
    CommandSpec(("rag", "backup"), "every document of a RAG engine's indexes to a folder (JSON Lines + manifest)",
                "kaito_shell.commands.ragops:backup", args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, RAG_INDEX,
                       FlagSpec("output", "a new folder for the backup", PATH, required=True, completer="file",
                                metavar="DIR"),
                       FlagSpec("server-side", "also persist each index on the engine's own storage (/persist)", BOOL)),
                outputs=("json", "yaml"), needs_cluster=True, examples=("rag backup docs --output ./docs-backup",)),
    CommandSpec(("rag", "restore"), "re-index a backup into a RAG engine (this one or another), hashes checked first",
                "kaito_shell.commands.ragops:restore", args=(RAG_OPTIONAL_REF,),
                flags=(RAG_NAME, RAG_INDEX,
                       FlagSpec("from", "the backup folder", PATH, required=True, completer="file", metavar="DIR"),
                       FlagSpec("overwrite", "replace indexes that exist", BOOL),
                       FlagSpec("server-side", "load what `rag backup --server-side` persisted (/load)", BOOL),
                       FlagSpec("batch-size", "documents per request", INT, minimum=1, maximum=1000, default=50), YES),
                outputs=("json", "yaml"), needs_cluster=True,
                description="Changes the engine's data, not cluster objects: it runs when a batch reaches it, and asks "
                            "before --overwrite replaces indexes (or takes --yes).",
                examples=("rag restore docs --from ./docs-backup", "rag restore docs-v2 --from ./docs-backup")),
    CommandSpec(("rag", "indexes"), "the indexes of a RAG engine and their document counts",
                "kaito_shell.commands.ragdata:indexes", args=(RAG_OPTIONAL_REF,), flags=(RAG_NAME,),
                outputs=LIST_OUT, default_output="table", needs_cluster=True, examples=("rag indexes docs",)),

    # ---- models (offline) ----
    CommandSpec(
        ("models", "list"), "list the curated models of KAITO v0.12 (60, with 25 legacy aliases)",
        "kaito_shell.commands.models:list_models",
        (FlagSpec("runtime", "only models that support this runtime", choices=("vllm", "transformers"),
                  completer="runtime"),
         FlagSpec("tunable", "only models that support LoRA/QLoRA tuning", BOOL),
         FlagSpec("family", "only this family (phi-4, llama-3, qwen3.5, …)", completer="family")),
        outputs=LIST_OUT, default_output="table",
        examples=("models list", "models list --tunable", "models list --runtime transformers -o wide"),
    ),
    CommandSpec(
        ("models", "describe"), "everything the catalog knows about one model", "kaito_shell.commands.models:describe",
        (FlagSpec("show-runtime-params", "also show the vLLM arguments KAITO derives for it", BOOL),),
        args=(ArgSpec("model", "model name or alias", completer="model"),), outputs=TABLE_OUT, default_output="table",
        examples=("models describe phi-4-mini-instruct", "models describe meta-llama/Llama-3.3-70B-Instruct -o yaml"),
    ),
    CommandSpec(
        ("models", "validate"), "check that a model fits an instance type (KAITO's rules and estimator)",
        "kaito_shell.commands.models:validate",
        (MODEL, FlagSpec("instance-type", "GPU VM size", completer="sku", metavar="SKU"),
         FlagSpec("label-selector", "your own GPU nodes (BYO) that this selects, read from the cluster", MAP,
                  metavar="K=V,…", completer="node_label"),
         FlagSpec("runtime", "runtime", choices=("vllm", "transformers"), default="vllm", completer="runtime"),
         FlagSpec("distributed", "accepted for the proposal's spelling: KAITO runs vLLM across nodes by itself", BOOL),
         FlagSpec("nodes", "most nodes you accept", INT, minimum=1), MAX_MODEL_LEN),
        outputs=TABLE_OUT, default_output="table",
        examples=("models validate --model phi-4 --instance-type Standard_NV36ads_A10_v5",
                  "models validate --model llama-3.3-70b-instruct --instance-type Standard_NC24ads_A100_v4 --nodes 3",
                  "models validate --model phi-4 --label-selector pool=gpu"),
    ),
    CommandSpec(
        ("models", "runtime"), "runtime support of a model and the arguments KAITO passes",
        "kaito_shell.commands.models:runtime",
        (MODEL, FlagSpec("runtime", "runtime", choices=("vllm", "transformers"), default="vllm", completer="runtime"),
         FlagSpec("show-config", "show the runtime arguments and config", BOOL),
         FlagSpec("check-compatibility", "fail (exit 1) when the model lacks this runtime", BOOL)),
        outputs=TABLE_OUT, default_output="table",
        examples=("models runtime --model phi-4-mini-instruct --runtime transformers --check-compatibility",
                  "models runtime --model gpt-oss-20b --show-config"),
    ),
    CommandSpec(
        ("models", "estimate"), "GPU nodes needed per instance type (KAITO's node estimator) with $/h",
        "kaito_shell.commands.models:estimate",
        (MODEL, MAX_MODEL_LEN,
         FlagSpec("instance-type", "only this GPU VM size", completer="sku", metavar="SKU"),
         FlagSpec("label-selector", "size for your own GPU nodes (BYO) that this selects, read from the cluster", MAP,
                  metavar="K=V,…", completer="node_label"),
         FlagSpec("replicas", "replicas to price", INT, minimum=1, default=1),
         FlagSpec("cloud", "only this cloud", choices=("azure", "aws", "arc")),
         FlagSpec("all", "include SKUs that do not fit", BOOL),
         FlagSpec("method", "size for fine-tuning with this method instead of serving", choices=("lora", "qlora"),
                  completer="method"),
         FlagSpec("show-cost", "with --method: the $/h of each size", BOOL)),
        outputs=TABLE_OUT, default_output="table",
        examples=("models estimate --model llama-3.3-70b-instruct", "models estimate --model phi-4 --max-model-len 16384",
                  "models estimate --model phi-4-mini-instruct --method qlora --show-cost",
                  "models estimate --model qwen2.5-coder-32b-instruct --instance-type g5.12xlarge --replicas 2"),
    ),

    # ---- config (offline) ----
    CommandSpec(("config", "templates", "list"), "KAITO's configuration templates (the cluster's copies when it has "
                "KAITO) and the namespace's user templates", "kaito_shell.commands.config:list_templates",
                flags=(FlagSpec("offline", "only the bundled templates (do not ask the cluster)", BOOL),),
                outputs=LIST_OUT, default_output="table", examples=("config templates list",
                                                                    "config templates list --offline")),
    CommandSpec(("config", "templates", "show"), "print a template as its ConfigMap (or just the file)",
                "kaito_shell.commands.config:show_template",
                (FlagSpec("data-only", "print only the config file, not the ConfigMap", BOOL),),
                args=(ArgSpec("template", "inference, lora, qlora or guardrails", completer="template"),),
                outputs=MANIFEST_OUT, default_output="yaml",
                examples=("config templates show qlora", "config templates show inference --data-only")),
    CommandSpec(("config", "templates", "create"), "a user template (a labelled ConfigMap) from one of KAITO's",
                "kaito_shell.commands.configmaps:run_template",
                (CONFIG_NAME, FlagSpec("from", "KAITO's template to start from", required=True, completer="template",
                                       metavar="TEMPLATE"),
                 FlagSpec("set", "change a value of the template", KEYVALUE, repeatable=True, completer="config_key",
                          metavar="FIELD=VALUE"), DRY_RUN, YES),
                planner="kaito_shell.commands.configmaps:plan_template", outputs=RENDER_OUT, default_output="yaml",
                mutates=True, examples=("config templates create --name team-qlora --from qlora --set lora.r=32",)),
    _config_create("tuning", "a tuning ConfigMap (training_config.yaml) from KAITO's lora/qlora template or a user "
                   "template, with --set changes",
                   (FlagSpec("method", "tuning method (its template is the default)", choices=("lora", "qlora"),
                             required=True, completer="method"),
                    FlagSpec("model", "the tunable model it is for (checked)", completer="tunable_model",
                             metavar="MODEL"), TRAINING_SET),
                   "config create-tuning --name my-qlora --method qlora --model phi-4-mini-instruct --set lora.r=16 "
                   "--set epochs=2 --dry-run"),
    _config_create("inference", "an inference ConfigMap (inference_config.yaml) from KAITO's template or a user "
                   "template, with --set changes",
                   (FlagSpec("runtime", "the runtime it is for", choices=("vllm", "transformers"), default="vllm",
                             completer="runtime"),
                    FlagSpec("model", "the model it is for (max-model-len checked against its context)",
                             completer="model", metavar="MODEL"), INFERENCE_SET),
                   "config create-inference --name long-ctx --model phi-4-mini-instruct --set max-model-len=16384 "
                   "--dry-run"),
    CommandSpec(("config", "edit-tuning"), "change a tuning ConfigMap (--set, or $EDITOR) keeping its comments; "
                "diff + confirm", "kaito_shell.commands.configmaps:edit", args=(CONFIGMAP_ARG,),
                flags=(TRAINING_SET, FlagSpec("method", "check as this method (default: what its quantization says)",
                                              choices=("lora", "qlora"), completer="method"), YES),
                outputs=CHANGE_OUT, mutates=True, needs_cluster=True,
                examples=("config edit-tuning my-qlora --set LoraConfig.r=16 --set lora.alpha=32",
                          "config edit-tuning my-qlora")),
    CommandSpec(("config", "edit-inference"), "change an inference ConfigMap (--set, or $EDITOR) keeping its "
                "comments; diff + confirm", "kaito_shell.commands.configmaps:edit", args=(CONFIGMAP_ARG,),
                flags=(INFERENCE_SET, MODEL_OPT, YES), outputs=CHANGE_OUT, mutates=True, needs_cluster=True,
                examples=("config edit-inference long-ctx --set max-model-len=4096",)),
    CommandSpec(("config", "show-tuning"), "a tuning ConfigMap's training_config.yaml",
                "kaito_shell.commands.configmaps:show", args=(CONFIGMAP_ARG,), outputs=("yaml", "json"),
                needs_cluster=True, examples=("config show-tuning my-qlora", "config show-tuning my-qlora -o json")),
    CommandSpec(("config", "show-inference"), "an inference ConfigMap's inference_config.yaml",
                "kaito_shell.commands.configmaps:show", args=(CONFIGMAP_ARG,), outputs=("yaml", "json"),
                needs_cluster=True, examples=("config show-inference long-ctx",)),
    CommandSpec(("config", "list"), "the ConfigMaps that are KAITO configs, and which workspaces use each",
                "kaito_shell.commands.configmaps:list_configs", flags=(ALL_NAMESPACES,), outputs=LIST_OUT,
                default_output="table", needs_cluster=True, examples=("config list", "config list -A")),
    CommandSpec(("config", "validate"), "check a KAITO config: a ConfigMap in the cluster, or a local "
                "inference_config.yaml / training_config.yaml", "kaito_shell.commands.config:validate",
                (FlagSpec("file", "a local file to check (instead of a ConfigMap)", PATH, completer="file"),
                 FlagSpec("kind", "what the file is (default: from its top-level key)",
                          choices=("inference", "lora", "qlora"), completer="config_kind"),
                 FlagSpec("method", "check a training config as this method (default: what its quantization says)",
                          choices=("lora", "qlora"), completer="method"),
                 MODEL_OPT, FlagSpec("instance-type", "check that max-model-len fits this GPU size (KAITO's node "
                                                      "estimator)", completer="sku", metavar="SKU")),
                args=(ArgSpec("configmap", "ConfigMap name (or give --file)", DNS_SUBDOMAIN, required=False),),
                outputs=TABLE_OUT, default_output="table",
                examples=("config validate my-qlora", "config validate --file my-qlora.yaml --kind qlora",
                          "config validate --file vllm.yaml --model phi-4 --instance-type Standard_NV36ads_A10_v5")),

    # ---- cost ----
    CommandSpec(("cost",), "what a live workspace costs for a duration (its nodes × list price)",
                "kaito_shell.commands.cost:live",
                (FlagSpec("workspace", "the workspace", DNS_LABEL, required=True, completer="workspace",
                          metavar="NAME"),
                 FlagSpec("duration", "how long (e.g. 8h, 30d)", DURATION, default=3600), PRICES),
                outputs=TABLE_OUT, needs_cluster=True, examples=("cost --workspace phi4 --duration 8h",)),
    CommandSpec(("cost", "estimate"), "hourly and total cost of running (or tuning) a model, or a live workspace",
                "kaito_shell.commands.cost:estimate",
                (MODEL_OPT, FlagSpec("workspace", "a live workspace instead of --model", DNS_LABEL,
                                     completer="workspace", metavar="NAME"),
                 FlagSpec("method", "price a tuning run (KAITO sizes lora and qlora alike)", choices=("lora", "qlora"),
                          completer="method"),
                 FlagSpec("show-breakdown", "per GPU and node, per hour, day and month", BOOL),
                 FlagSpec("instance-type", "GPU VM size (default: cheapest priced SKU that fits)",
                          completer="sku", metavar="SKU"),
                 FlagSpec("replicas", "replicas", INT, minimum=1, default=1),
                 FlagSpec("duration", "how long it runs (e.g. 8h, 30d)", DURATION, default=3600),
                 FlagSpec("spot", "use spot prices where known", BOOL), MAX_MODEL_LEN, PRICES),
                outputs=TABLE_OUT, default_output="table",
                examples=("cost estimate --model phi-4-mini-instruct", "cost estimate --model llama-3.3-70b-instruct "
                          "--instance-type Standard_NC96ads_A100_v4 --duration 30d --spot")),
    CommandSpec(("cost", "report"), "what the workspaces in the cluster cost now (nodes × list price)",
                "kaito_shell.commands.cost:report", outputs=TABLE_OUT, default_output="table",
                flags=(ALL_NAMESPACES, PRICES), needs_cluster=True, multi_cluster=True,
                examples=("cost report -A", "cost report -A --all-clusters")),
    CommandSpec(("cost", "compare"), "every size that fits a model, on each cloud, cheapest first",
                "kaito_shell.commands.cost:compare",
                (MODEL_OPT, FlagSpec("workspace", "price a live workspace's model instead", DNS_LABEL,
                                     completer="workspace", metavar="NAME"),
                 FlagSpec("duration", "how long it runs (e.g. 8h, 30d)", DURATION, default=3600),
                 FlagSpec("clouds", "only these clouds (e.g. azure,aws)", metavar="CLOUD,CLOUD"),
                 FlagSpec("show-instance-types", "also each size's GPUs per node", BOOL), MAX_MODEL_LEN, PRICES),
                outputs=TABLE_OUT, default_output="table",
                description="Sizing is KAITO's node estimator (the one `deploy` uses), NVIDIA sizes only; each row "
                            "says how old its price is; the cheapest priced size per cloud is marked.",
                examples=("cost compare --model llama-3.3-70b-instruct --duration 8h",
                          "cost compare --model phi-4-mini-instruct --clouds azure --show-instance-types")),
    CommandSpec(("cost", "optimize"), "the cheapest size that fits, what a budget buys, and for a live workspace "
                "what each alternative saves", "kaito_shell.commands.cost:optimize",
                (MODEL_OPT, FlagSpec("workspace", "a live workspace: compare with what it runs on now", DNS_LABEL,
                                     completer="workspace", metavar="NAME"),
                 FlagSpec("budget", "USD to spend over --duration", FLOAT, minimum=0, metavar="USD"),
                 FlagSpec("duration", "how long it runs (e.g. 24h)", DURATION, default=86400),
                 FlagSpec("show-alternatives", "with --workspace: every size that fits, not only cheaper ones", BOOL),
                 MAX_MODEL_LEN, PRICES),
                outputs=TABLE_OUT, default_output="table",
                examples=("cost optimize --model llama-3.3-70b-instruct --budget 100 --duration 24h",
                          "cost optimize --workspace phi4 --show-alternatives")),
    CommandSpec(("cost", "history"), "what a workspace (or, without one, the namespace) cost per day: OpenCost, else "
                "an estimate",
                "kaito_shell.commands.cost:history",
                (FlagSpec("workspace", "one workspace", DNS_LABEL, completer="workspace", metavar="NAME"),
                 FlagSpec("days", "how many days back (today so far included)", INT, minimum=1, maximum=90,
                          default=30),
                 FlagSpec("show-trends", "a bar chart of the days", BOOL), PRICES),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                description="With OpenCost in the cluster (its Service found by its chart's labels) its allocation "
                            "API is the source; otherwise the GPU nodes KAITO made are priced from their creation "
                            "time, and what that cannot see is said. The source is named in the output and -o json.",
                examples=("cost history --workspace phi4 --days 30", "cost history --namespace team-a --show-trends")),
    CommandSpec(("cost", "prices"), "the price table in use: each size's on-demand and spot $/h, source and date",
                "kaito_shell.commands.cost:price_list",
                (FlagSpec("cloud", "only this cloud", choices=("aws", "azure")),
                 FlagSpec("region", "only this region (e.g. eastus)"), PRICES),
                outputs=TABLE_OUT, default_output="table",
                examples=("cost prices --cloud azure", "cost prices --prices negotiated.csv -o wide")),

    # ---- live operations (cluster) ----
    CommandSpec(("status",), "what KAITO runs (workspaces, inference sets, RAG engines) and why it is (not) ready",
                "kaito_shell.commands.status:status",
                args=(ANY_REF,), flags=(ALL_NAMESPACES, FlagSpec("all", "same as -A (the proposal's spelling)", BOOL,
                                                                 into="all_namespaces"),
                                        FlagSpec("watch", "keep watching (Ctrl-C stops)", BOOL, short="w")),
                outputs=LIST_OUT, default_output="table", needs_cluster=True, multi_cluster=True,
                description="STATE is diagnosed from KAITO's conditions and the pods (and, for one object, /health): "
                            "Ready only when it serves; Degraded when KAITO says Ready but pods crash-loop or /health "
                            "fails; Failing when it will not become ready by itself (exit code 1 for both). One "
                            "object gets a 'why' section built from its conditions, events and pods (GPU quota, "
                            "pending nodes, image pulls, crash-loops despite InferenceReady, missing HF token "
                            "secrets) with the next step. A bare NAME is looked up across the kinds.",
                examples=("status", "status -A", "status phi4", "status ragengine/docs", "status --all-clusters",
                          "status phi4 --watch")),
    CommandSpec(("get",), "KAITO objects: workspaces, inferencesets, ragengines (or one of them)",
                "kaito_shell.commands.resources:get", args=(GET_REF,), flags=(ALL_NAMESPACES,), outputs=LIST_OUT,
                default_output="table", needs_cluster=True, multi_cluster=True,
                examples=("get", "get workspaces -A", "get workspace/phi4 -o yaml", "get ragengines --cluster a,b")),
    CommandSpec(("describe",), "a KAITO object with its conditions, pods and events",
                "kaito_shell.commands.resources:describe", args=(REQUIRED_REF,), outputs=TABLE_OUT,
                default_output="table", needs_cluster=True, examples=("describe workspace/phi4",)),
    CommandSpec(("delete",), "delete a KAITO object and wait for its finalizers", "kaito_shell.commands.resources:delete",
                args=(REQUIRED_REF,), flags=(YES, FlagSpec("no-wait", "return without waiting for the finalizers", BOOL),
                                             FlagSpec("wait-timeout", "how long to wait for finalizers", DURATION,
                                                      default=120)),
                outputs=CHANGE_OUT, mutates=True, needs_cluster=True,
                examples=("delete workspace/phi4", "delete ragengine/docs --yes")),
    CommandSpec(("scale",), "set the replicas of an InferenceSet (explains what scales a Workspace)",
                "kaito_shell.commands.resources:scale", args=(REQUIRED_REF,),
                flags=(FlagSpec("replicas", "replica count", INT, minimum=0, required=True), YES),
                outputs=CHANGE_OUT, mutates=True, needs_cluster=True, examples=("scale inferenceset/qwen --replicas 3",)),
    CommandSpec(("logs",), "logs of a workspace's pods", "kaito_shell.commands.logs:logs", args=(SERVED_REF,),
                flags=(FlagSpec("follow", "stream new lines (Ctrl-C stops)", BOOL, short="f"),
                       FlagSpec("tail", "last N lines per pod", INT, minimum=0),
                       FlagSpec("since", "only newer than this (e.g. 1h)", DURATION)),
                needs_cluster=True, examples=("logs workspace/phi4 --tail 20", "logs phi4 --follow --since 10m")),
    CommandSpec(("logs", "analyze"), "known failures in a workspace's or RAG engine's logs, with their cause and fix",
                "kaito_shell.commands.logscan:analyze",
                flags=(LOGS_WORKSPACE, LOGS_RAGENGINE,
                       FlagSpec("file", "analyse a saved log instead (`-`: stdin), offline", PATH, completer="file"),
                       FlagSpec("show-errors", "only errors", BOOL), FlagSpec("show-warnings", "only warnings", BOOL),
                       FlagSpec("since", "only lines newer than this (e.g. 1h)", DURATION)),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                description="Every started container of every pod (previous runs too) and the events are matched "
                            "against known failure signatures, worded as current and older vLLM, Hugging Face, "
                            "PyTorch, NCCL, Ray and the kubelet print them (CUDA out of memory, KV cache too small, "
                            "gated model, image pulls, NCCL/Ray, full disk, dead engine, rate limits). Exit 1 on an "
                            "error-level finding.",
                examples=("logs analyze --workspace phi4", "logs analyze --workspace phi4 --show-errors --since 1h",
                          "logs analyze --file ci-run.log", "kubectl logs phi4-0 | kaito logs analyze --file -")),
    CommandSpec(("logs", "search"), "search every log of a workspace's or RAG engine's pods",
                "kaito_shell.commands.logscan:search",
                flags=(LOGS_WORKSPACE, LOGS_RAGENGINE,
                       FlagSpec("query", "the text to find", required=True, metavar="TEXT"),
                       FlagSpec("regex", "the query is a regular expression", BOOL),
                       FlagSpec("case-sensitive", "match case (default: ignore it)", BOOL),
                       FlagSpec("time-range", "only lines newer than this (e.g. 1h)", DURATION),
                       FlagSpec("around", "lines to show around each match (as grep -C; --context names the "
                                "kube context)", INT, minimum=0, short="C", metavar="N")),
                needs_cluster=True,
                examples=("logs search --workspace phi4 --query 'out of memory'",
                          "logs search --workspace phi4 --query 'HTTP/1.1\" 4[0-9]{2}' --regex -C 2")),
    CommandSpec(("endpoint",), "service URL, API-server proxy URL and an example curl",
                "kaito_shell.commands.endpoint:endpoint", args=(SERVED_REF,), outputs=TABLE_OUT,
                default_output="table", needs_cluster=True, examples=("endpoint workspace/phi4",)),
    CommandSpec(("monitor",), "live view of a workspace (same as `monitor resources --workspace W`)",
                "kaito_shell.commands.monitor:resources", args=(SERVED_REF,), flags=MONITOR_FLAGS,
                outputs=MONITOR_OUT, needs_cluster=True, examples=("monitor phi4 --show-gpu-utilization",)),
    CommandSpec(("monitor", "resources"), "live dashboard of workspaces and RAG engines: requests, KV cache, "
                "tokens/s, latency, GPUs, memory", "kaito_shell.commands.monitor:resources",
                args=(ArgSpec("workspace", "NAME, workspace/NAME, inferenceset/NAME or ragengine/NAME", REF,
                              required=False, completer="resource",
                              ref_kinds=("workspace", "inferenceset", "ragengine")),),
                flags=(FlagSpec("workspace", "a workspace to watch", DNS_LABEL, completer="workspace", metavar="NAME"),
                       FlagSpec("ragengine", "a RAG engine to watch", DNS_LABEL, completer="ragengine",
                                metavar="NAME"),
                       FlagSpec("all", "every workspace, InferenceSet and RAG engine in the namespace", BOOL),
                       *MONITOR_FLAGS),
                outputs=MONITOR_OUT, needs_cluster=True,
                description="On a terminal: a full-screen dashboard, a panel per object with sparklines of the last "
                            "readings, redrawn every --interval; q or Ctrl-C quits and the terminal is restored. "
                            "Without a terminal (or -o table|json|yaml): one snapshot, two readings --interval apart "
                            "so that rates are real. GPU figures come from the cluster's DCGM exporter, CPU and "
                            "memory from metrics.k8s.io; a missing source is named with how to install it.",
                examples=("monitor resources --workspace phi4 --show-gpu-utilization",
                          "monitor resources --all --show-memory-usage -o table")),
    CommandSpec(("metrics",), "vLLM and KAITO metrics of a workspace's pods (same as `metrics inference`)",
                "kaito_shell.commands.metrics:inference", args=(SERVED_REF,), flags=INFERENCE_METRICS_FLAGS,
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("metrics phi4 --interval 2",)),
    CommandSpec(("metrics", "inference"), "vLLM and KAITO metrics of every inference pod: requests, KV cache, "
                "tokens/s, latency percentiles", "kaito_shell.commands.metrics:inference", args=(SERVED_REF,),
                flags=INFERENCE_METRICS_FLAGS, outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                description="Each pod's /metrics (vLLM's and KAITO's series) through the API server's pod proxy. "
                            "Two scrapes --interval apart give rates and that interval's percentiles (histogram "
                            "buckets); --interval 0 takes one: totals, gauges, percentiles since start. A figure the "
                            "pods do not report shows '-' and is named below the table.",
                examples=("metrics inference phi4 --show-latency --per-pod", "metrics inference phi4 -w --interval 2")),
    CommandSpec(("metrics", "rag"), "a RAG engine's service metrics: requests per operation, failures, latency",
                "kaito_shell.commands.metrics:rag",
                args=(ArgSpec("ragengine", "NAME or ragengine/NAME", REF, completer="ragengine",
                              ref_kinds=("ragengine",)),),
                flags=(FlagSpec("show-query-latency", "p50/p95 latency per operation (from the service's "
                                "histograms)", BOOL),),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("metrics rag docs", "metrics rag docs --show-query-latency -o json")),
    CommandSpec(("metrics", "tuning"), "loss, eval loss, learning rate and grad norm of a tuning run (as `tune "
                "metrics`)", "kaito_shell.commands.tuning:metrics", args=(TUNING_REF,),
                flags=TUNE_METRICS_FLAGS, outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("metrics tuning phi4-tune --show-loss-curve",)),
    CommandSpec(("chat",), "talk to a deployed model (or a RAG engine): a conversation on a terminal, one answer "
                "with --message", "kaito_shell.commands.chat:chat",
                args=(ArgSpec("workspace", "NAME, workspace/NAME or inferenceset/NAME (default: the current "
                              "workspace)", REF, required=False, completer="resource",
                              ref_kinds=("workspace", "inferenceset"), default_from_session="workspace"),),
                flags=(FlagSpec("message", "send this one message and print the answer (else stdin, or a "
                                "conversation on a terminal)", short="m", metavar="TEXT"),
                       FlagSpec("ragengine", "chat through a RAG engine's service instead", DNS_LABEL,
                                completer="ragengine", metavar="NAME"),
                       FlagSpec("index", "the RAG engine's index to answer from", metavar="INDEX"),
                       FlagSpec("system", "a system message", metavar="TEXT"),
                       FlagSpec("temperature", "sampling temperature (0-2)", FLOAT, minimum=0, maximum=2),
                       FlagSpec("max-tokens", "longest answer in tokens", INT, minimum=1),
                       FlagSpec("model", "the model id to ask for (default: what /v1/models says)", metavar="ID")),
                outputs=("json", "yaml"), needs_cluster=True,
                description="Through the API server's service proxy with your credentials. On a terminal the "
                            "answer streams in (Markdown rendered), followed by the time to the first token and "
                            "tokens/s; Ctrl-C stops a generation and keeps the conversation; /system, "
                            "/temperature, /max-tokens, /clear, /save FILE and /exit change it. KAITO answers HTTP "
                            "429 while its queue is full: the request is retried after 1, 2 and 4 s, said each time.",
                examples=("chat phi4", "chat phi4 --message 'What is KAITO?'", "echo 'Hi' | chat phi4 -o json",
                          "chat --ragengine docs --index product-docs")),
    CommandSpec(("health", "check"), "check KAITO objects end to end (conditions, pods, service, /health, /v1/models)",
                "kaito_shell.commands.health:check", outputs=HEALTH_OUT, default_output="table",
                args=(ArgSpec("resource", "NAME, workspace/NAME, inferenceset/NAME or ragengine/NAME", REF,
                              required=False, completer="resource", ref_kinds=("workspace", "inferenceset",
                                                                              "ragengine")),),
                flags=(FlagSpec("all", "every object in the namespace (-A: everywhere)", BOOL), ALL_NAMESPACES,
                       FlagSpec("ragengine", "check this RAG engine (as ragengine/NAME)", DNS_LABEL,
                                completer="ragengine", metavar="NAME"),
                       FlagSpec("detailed", "also events, GPU nodes, whether the queue grows (two scrapes a second "
                                "apart) and how long each check took", BOOL)),
                needs_cluster=True, multi_cluster=True,
                examples=("health check phi4", "health check ragengine/docs", "health check --all -A -o report")),
    CommandSpec(("alerts", "configure"), "alert rules about a workspace (Prometheus Operator PrometheusRule + "
                "PodMonitor)", "kaito_shell.commands.alerts:configure",
                flags=(ALERT_WORKSPACE,
                       FlagSpec("gpu-utilization-threshold", "fire when the GPUs' mean utilisation (DCGM) is above this "
                                "%", FLOAT, minimum=0, metavar="PERCENT"),
                       FlagSpec("kv-cache-threshold", "fire when a pod's KV cache is fuller than this %", FLOAT,
                                minimum=0, metavar="PERCENT"),
                       FlagSpec("queue-threshold", "fire when more requests than this wait", FLOAT, minimum=0,
                                metavar="N"),
                       FlagSpec("error-rate-threshold", "fire when more than this % of requests are aborted or "
                                "rejected (429) over 5 minutes", FLOAT, minimum=0, metavar="PERCENT"),
                       FlagSpec("p95-latency-threshold", "fire when the p95 end-to-end latency over 5 minutes is "
                                "above this", FLOAT, minimum=0, metavar="SECONDS"),
                       FlagSpec("for", "how long a condition must hold before the alert fires", DURATION, default=300),
                       FlagSpec("no-pod-monitor", "do not create the PodMonitor (Prometheus already scrapes the pods)",
                                BOOL), DRY_RUN, YES),
                planner="kaito_shell.commands.alerts:plan", outputs=RENDER_OUT, default_output="yaml", mutates=True,
                description="The rules read vLLM's and KAITO's series from the inference pods and the DCGM "
                            "exporter's GPU figures, matched by the pods' namespace and pod labels. KAITO creates no "
                            "scrape config, so a PodMonitor for the workspace's pods (port http, /metrics) comes "
                            "with them unless --no-pod-monitor. The thresholds are kept in the rules' annotations: "
                            "`alerts test` reads them back.",
                examples=("alerts configure --workspace phi4 --gpu-utilization-threshold 90 --for 5m",
                          "alerts configure --workspace phi4 --kv-cache-threshold 90 --queue-threshold 10 --dry-run")),
    CommandSpec(("alerts", "list"), "alert rules kaito-shell configured here", "kaito_shell.commands.alerts:list_alerts",
                flags=(FlagSpec("workspace", "only this workspace's", DNS_LABEL, completer="workspace",
                                metavar="NAME"),), outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("alerts list", "alerts list --workspace phi4 -o wide")),
    CommandSpec(("alerts", "test"), "which of a workspace's alert rules would fire now, and by how much",
                "kaito_shell.commands.alerts:test",
                flags=(ALERT_WORKSPACE, FlagSpec("interval", "seconds between the two scrapes that error-rate and "
                                                 "latency rules need (0: one scrape)", FLOAT, minimum=0, default=5.0,
                                                 metavar="SECONDS")),
                outputs=TABLE_OUT, default_output="table", needs_cluster=True,
                examples=("alerts test --workspace phi4", "alerts test --workspace phi4 --interval 2 -o json")),
    CommandSpec(("alerts", "delete"), "delete a workspace's alert rules (and its PodMonitor)",
                "kaito_shell.commands.alerts:delete", flags=(ALERT_WORKSPACE, YES), outputs=CHANGE_OUT, mutates=True,
                needs_cluster=True, examples=("alerts delete --workspace phi4",)),
    CommandSpec(("features", "list"), "KAITO feature gates: chart defaults, and the cluster's values when connected",
                "kaito_shell.commands.features:list_gates", outputs=LIST_OUT, default_output="table",
                flags=(FlagSpec("offline", "only the chart defaults (do not ask the cluster)", BOOL),),
                examples=("features list", "features list --offline")),
    CommandSpec(("features", "status"), "a feature gate's value in the cluster", "kaito_shell.commands.features:status",
                args=(ArgSpec("gate", "feature gate", completer="feature_gate"),), outputs=TABLE_OUT,
                default_output="table", needs_cluster=True, examples=("features status enableMIG",)),
    CommandSpec(("features", "enable"), "turn a feature gate on in the controller (preview + confirm)",
                "kaito_shell.commands.features:enable", args=(ArgSpec("gate", "feature gate", completer="feature_gate"),),
                flags=(YES,), outputs=CHANGE_OUT, mutates=True, needs_cluster=True,
                examples=("features enable enableMIG",)),
    CommandSpec(("features", "disable"), "turn a feature gate off in the controller (preview + confirm)",
                "kaito_shell.commands.features:disable",
                args=(ArgSpec("gate", "feature gate", completer="feature_gate"),), flags=(YES,), outputs=CHANGE_OUT,
                mutates=True, needs_cluster=True, examples=("features disable vLLM",)),
    CommandSpec(("adapters", "list"), "adapters of a workspace", "kaito_shell.commands.adapters:list_adapters",
                args=(WORKSPACE_REF,), outputs=LIST_OUT, default_output="table", needs_cluster=True,
                examples=("adapters list workspace/phi3",)),
    CommandSpec(("adapters", "add"), "add an adapter to a workspace (preview + confirm)",
                "kaito_shell.commands.adapters:add", args=(WORKSPACE_REF,),
                flags=(FlagSpec("adapter", "the adapter image, named after the image or as NAME=IMAGE",
                                metavar="IMAGE|NAME=IMAGE"),
                       FlagSpec("from-tuning", "take the adapter a succeeded tuning workspace pushed (named after it)",
                                DNS_LABEL, completer="workspace", metavar="TUNING"),
                       FlagSpec("strength", "adapter strength 0..1 (Transformers runtime only)"), YES),
                outputs=CHANGE_OUT, mutates=True, needs_cluster=True,
                examples=("adapters add workspace/phi3 --adapter sql=myacr.azurecr.io/sql-lora:1",
                          "adapters add --workspace phi4 --from-tuning phi4-tune")),
    CommandSpec(("adapters", "remove"), "remove an adapter from a workspace (preview + confirm)",
                "kaito_shell.commands.adapters:remove", args=(WORKSPACE_REF,),
                flags=(FlagSpec("adapter", "adapter name", required=True), YES), outputs=CHANGE_OUT, mutates=True,
                needs_cluster=True, examples=("adapters remove workspace/phi3 --adapter sql",)),
    CommandSpec(("auth", "check"), "check RBAC for every verb the shell uses (SelfSubjectAccessReview)",
                "kaito_shell.commands.auth:check", outputs=TABLE_OUT, default_output="table",
                flags=(FlagSpec("workspace", "workspace name", DNS_LABEL, completer="workspace"),
                       FlagSpec("ragengine", "RAG engine name", DNS_LABEL, completer="ragengine")),
                needs_cluster=True, examples=("auth check --workspace phi4", "auth check --context sandbox-viewer")),
    CommandSpec(("sandbox", "serve"), "run the local Kubernetes-compatible sandbox with a simulated KAITO",
                "kaito_shell.commands.sandbox:serve",
                (FlagSpec("port", "port on 127.0.0.1 (default: a free one)", INT, minimum=0, maximum=65535, default=0),
                 FlagSpec("kubeconfig-out", "where to write its kubeconfig (an existing file only if the sandbox wrote "
                          "it, or with --force)", PATH, completer="file", default="sandbox.kubeconfig"),
                 FlagSpec("force", "overwrite a --kubeconfig-out file the sandbox did not write", BOOL),
                 FlagSpec("scenario", "failure to simulate for new workspaces", choices=SCENARIOS, default="none"),
                 FlagSpec("instant", "skip the simulated provisioning delays", BOOL),
                 FlagSpec("speed", "simulated clock speed (2 = twice as fast)", FLOAT, minimum=0.01, default=1.0),
                 FlagSpec("node-provisioner", "KAITO's install mode: auto-provisioned GPU nodes, or your own (byo)",
                          choices=NODE_PROVISIONERS, default="azure-gpu-provisioner"),
                 FlagSpec("gpu-nodes", "with --node-provisioner byo: GPU nodes to create up front (labelled pool=gpu)",
                          INT, minimum=0, default=0),
                 FlagSpec("instance-type", "the VM size of those GPU nodes (their NVIDIA labels follow it)",
                          completer="sku", metavar="SKU", default="Standard_NC24ads_A100_v4"),
                 FlagSpec("backend", "send a service's proxy to a real HTTP server: ragengine/NAME=URL (a local RAG "
                          "service) or workspace/NAME=URL (any OpenAI-compatible server)", repeatable=True,
                          metavar="KIND/NAME=URL")),
                examples=("sandbox serve --kubeconfig-out /tmp/sandbox.kubeconfig",
                          "sandbox serve --scenario no-gpu-quota --port 6443",
                          "sandbox serve --node-provisioner byo --gpu-nodes 2 --instance-type Standard_NC48ads_A100_v4",
                          "sandbox serve --backend ragengine/docs=http://127.0.0.1:5000")),

    CommandSpec(("server", "status"), "whether this build's fork server runs, since when, how much it served",
                "kaito_shell.commands.server:status", outputs=("json", "yaml"),
                description="One-shot commands (and kubectl kaito) hand their work to a warm server that has the "
                            "kubernetes client and the catalog loaded, so they skip the client's start-up. The "
                            "first command starts it; it exits after KAITO_SERVER_IDLE seconds (600) without "
                            "work. KAITO_SERVER=off runs every command in its own process.",
                examples=("server status", "server status -o json")),
    CommandSpec(("server", "stop"), "stop this build's fork server (the next command runs on its own and starts "
                "a new one)", "kaito_shell.commands.server:stop", outputs=("json", "yaml"),
                examples=("server stop",)),

    # ---- session and shell verbs ----
    CommandSpec(("use", "context"), "switch the kube context", "kaito_shell.commands.session:use_context",
                args=(ArgSpec("name", "kube context", completer="context"),), aliases=("ctx",),
                examples=("use context prod-eastus",), changes_session=True),
    CommandSpec(("use", "namespace"), "switch the namespace", "kaito_shell.commands.session:use_namespace",
                args=(ArgSpec("name", "namespace", DNS_LABEL, completer="namespace"),), aliases=("ns",),
                examples=("use namespace team-a", "use ns default"), changes_session=True),
    CommandSpec(("use", "workspace"), "set the current workspace (the default for status, logs, …)",
                "kaito_shell.commands.session:use_workspace",
                args=(ArgSpec("name", "workspace name", DNS_LABEL, completer="workspace"),), aliases=("ws",),
                examples=("use workspace phi4",), changes_session=True),
    CommandSpec(("context",), "show the session context and the kube contexts of the kubeconfig",
                "kaito_shell.commands.session:show_context", outputs=LIST_OUT, default_output="table"),
    CommandSpec(("run",), "run a .kaito batch file (validated whole before anything runs)",
                "kaito_shell.commands.session:run_file",
                (FlagSpec("dry-run", "print every manifest as one YAML stream; change nothing", BOOL), YES),
                args=(ArgSpec("file", "the .kaito file", completer="file"),),
                examples=("run staging.kaito --dry-run", "run rollout.kaito --yes"), changes_session=True),
    CommandSpec(("help",), "list commands, or explain one", "kaito_shell.commands.help:help_command",
                extra_args=True, examples=("help", "help deploy", "help models estimate")),
    CommandSpec(("history",), "show the shell history (secrets redacted)", "kaito_shell.commands.session:history",
                (FlagSpec("limit", "last N entries", INT, minimum=1, default=20),), outputs=TABLE_OUT,
                default_output="table"),
    CommandSpec(("completion",), "a script that makes bash, zsh, fish or PowerShell complete kaito's commands",
                "kaito_shell.commands.completion:completion",
                args=(ArgSpec("shell", "the shell", choices=("bash", "zsh", "fish", "powershell")),),
                description="The script asks kaito itself (`kaito __complete …`), so your shell completes what the "
                            "kaito shell does: commands, flags, models, GPU sizes and, with a cluster, live names. "
                            "`kubectl kaito <Tab>` works through kubectl's plugin completion (the "
                            "`kubectl_complete-kaito` executable installed with the package; source kubectl's own "
                            "completion too).",
                examples=("completion bash > ~/.local/share/bash-completion/completions/kaito",
                          "source <(kaito completion zsh)", "kaito completion fish | source")),
    CommandSpec(("doctor",), "check what kaito-shell needs: kubeconfig, API server, KAITO and its webhook, GPU nodes, "
                "metrics sources, RBAC", "kaito_shell.commands.doctor:doctor", outputs=TABLE_OUT,
                default_output="table", needs_cluster=True,
                description="Each check says what it found and, when something is missing, the fix. Exit 1 when "
                            "a check fails (warnings do not).",
                examples=("doctor", "doctor --context prod -o json")),
    CommandSpec(("version",), "versions of kaito-shell, its catalog and target KAITO, and the KAITO the cluster runs",
                "kaito_shell.commands.session:version", outputs=TABLE_OUT, default_output="table",
                flags=(FlagSpec("offline", "only this tool's versions (do not ask the cluster)", BOOL),),
                examples=("version", "version -o json", "version --offline")),
    CommandSpec(("exit",), "leave the shell (Ctrl-D also works)", "kaito_shell.commands.session:exit_shell",
                aliases=("quit",), shell_only=True),
]

WORKSPACE_FLAG = FlagSpec("workspace", "the workspace (same as the positional NAME or workspace/NAME)",
                          DNS_LABEL, completer="workspace", metavar="NAME")


def _accepts_workspace_flag(spec: CommandSpec) -> CommandSpec:
    """Every command that takes a workspace positionally also takes it as --workspace NAME."""
    takes = any("workspace" in arg.ref_kinds for arg in spec.args)
    if not takes or spec.flag("workspace") is not None:
        return spec
    return spec._replace(flags=(*spec.flags, WORKSPACE_FLAG))


REGISTRY = Registry(commands=[_accepts_workspace_flag(c) for c in COMMANDS], groups=GROUPS, global_flags=GLOBAL_FLAGS)
