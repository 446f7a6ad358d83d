"""Keep secrets out of everything kaito-shell shows or keeps: output, previews, history, error messages, --debug
tracebacks and the stderr of programs it runs.

One function, `redact`, masks every secret shape it knows with asterisks of the same length (so carets under an
echoed line stay aligned): known token formats (Hugging Face, GitHub, AWS, OpenAI-style, Slack, JWTs), bearer
headers, passwords in URLs, URL query parameters named like credentials (SAS `sig`, `token`, `key`, `secret`,
`password`, `code`, presigned S3/GCS signatures), `*TOKEN*` / `*SECRET*` / `*KEY*` / `*PASSWORD*` assignments and
PEM private keys. `mask_url` masks more for values known to be URLs that may carry credentials (registry flags
marked `secret`): the password and every query value.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CREDENTIAL_WORDS = r"token|secret|password|passwd|pwd|apikey|api[-_]key|access[-_]key|client[-_]secret|credential"
# Each pattern's group "s" is the secret part that gets masked.
SECRET_PATTERNS = (
    r"\b(?P<s>hf_[A-Za-z0-9]{16,})",                                      # Hugging Face access tokens
    r"\b(?P<s>gh[pousr]_[A-Za-z0-9_]{20,})",                              # GitHub tokens (ghcr.io pulls)
    r"\b(?P<s>github_pat_[A-Za-z0-9_]{20,})",                             # GitHub fine-grained tokens
    r"\b(?P<s>(?:AKIA|ASIA)[0-9A-Z]{16})\b",                              # AWS access key ids
    r"(?i)\b(?P<s>sk-[A-Za-z0-9_-]{20,})",                                # OpenAI-style API keys
    r"\b(?P<s>xox[abposr]-[A-Za-z0-9-]{10,})",                            # Slack tokens
    r"\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",  # JWTs (service-account tokens)
    r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=-]{8,})",                       # bearer headers
    r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<s>[^/\s@]+)@",              # https://user:PASSWORD@host
    r"(?i)[?&;](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|"
    r"x-goog-credential|" + _CREDENTIAL_WORDS + r"|key|code|access_token|id_token|refresh_token)="
    r"(?P<s>[^&\s#'\"]+)",                                                  # ?sig=…&token=… in URLs
    r"\b[A-Z0-9_.-]*(?:TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIALS?)(?:_[A-Z0-9_]*)?\s*[=:]\s*"
    r"(?P<s>[^\s,;'\"&]{3,})",                                              # HF_TOKEN=…, AZURE_CLIENT_SECRET: …
    r"(?i)(?<![\w.-])(?:[\w.-]*[_.-])?(?:" + _CREDENTIAL_WORDS + r")\s*[=:]\s*(?P<s>[^\s,;'\"&*]{3,})",  # token=…
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?P<s>[\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----",  # PEM keys
)
MASK = "*"


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in SECRET_PATTERNS)


def _mask(match: re.Match[str]) -> str:
    start, end = match.span("s")
    whole = match.group(0)
    offset = match.start()
    secret = whole[start - offset:end - offset]
    masked = "".join(ch if ch in "\r\n" else MASK for ch in secret)  # a PEM block keeps its lines
    return whole[: start - offset] + masked + whole[end - offset:]


def redact(text: str) -> str:
    """Replace every secret-looking value by asterisks of the same length (carets stay aligned)."""
    for pattern in _compiled():
        text = pattern.sub(_mask, text)
    return text


def contains_secret(text: str) -> bool:
    return any(p.search(text) for p in _compiled())


_URL_PARTS = re.compile(r"^(?P<head>[a-z][a-z0-9+.-]*://)(?:(?P<user>[^/\s:@]*)(?::(?P<password>[^/\s@]*))?@)?"
                        r"(?P<rest>[^?#]*)(?:\?(?P<query>[^#]*))?(?P<tail>#.*)?$", re.IGNORECASE)


def mask_url(value: str) -> str:
    """A URL that may carry credentials, shown safely: its password and every query value masked (same length)."""
    parts = _URL_PARTS.match(value)
    if parts is None:
        return redact(value)
    text = parts.group("head")
    if parts.group("user") is not None:
        text += parts.group("user")
        if parts.group("password") is not None:
            text += ":" + MASK * len(parts.group("password"))
        text += "@"
    text += parts.group("rest")
    if parts.group("query") is not None:
        pairs = []
        for pair in parts.group("query").split("&"):
            key, eq, val = pair.partition("=")
            pairs.append(f"{key}{eq}{MASK * len(val)}" if eq else pair)
        text += "?" + "&".join(pairs)
    return text + (parts.group("tail") or "")
