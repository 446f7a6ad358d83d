"""Local files made into RAG documents: text and Markdown as they are, PDF as the text pypdf extracts, source code
with `split_type: code` and its language (KAITO's RAG service then splits it on code boundaries). Each document's
metadata names its path, title and the sha256 of the file's bytes, which is how a re-run knows a file is
unchanged. A file that cannot be read or parsed is reported with why, never fatal."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

CODE_LANGUAGES = {".py": "python", ".go": "go", ".js": "javascript", ".ts": "typescript", ".java": "java",
                  ".rs": "rust", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".cs": "c_sharp", ".rb": "ruby",
                  ".sh": "bash", ".kt": "kotlin", ".scala": "scala", ".php": "php", ".swift": "swift"}
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text", ".csv", ".json", ".yaml", ".yml", ".html", ".htm", ""}
MAX_BYTES = 20 * 1024 * 1024  # one document; larger files are reported, not sent


class DocFile(NamedTuple):
    path: str  # as the user will recognise it (relative to the folder given)
    text: str
    metadata: dict[str, Any]
    size: int


class Unreadable(NamedTuple):
    path: str
    reason: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path, pattern: str) -> Iterator[tuple[str, str]]:
    """(file, its path relative to `folder`) of the files under `folder` whose name matches `pattern` (e.g.
    '*.md'), in a stable order; hidden files and folders are skipped."""
    import fnmatch

    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = os.path.relpath(root, folder)
        for name in sorted(names):
            if not name.startswith(".") and fnmatch.fnmatch(name, pattern):
                yield os.path.join(root, name), name if relative == "." else os.path.join(relative, name)


def read(path: str | Path, shown: str) -> DocFile | Unreadable:
    """The document a file makes, or why it cannot be one."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                return Unreadable(shown, f"{size // (1024 * 1024)} MiB is larger than "
                                         f"{MAX_BYTES // (1024 * 1024)} MiB")
            data = handle.read()
    except OSError as exc:
        return Unreadable(shown, exc.strerror or str(exc))
    stem, suffix = os.path.splitext(os.path.basename(path))
    suffix = suffix.lower()
    metadata: dict[str, Any] = {"path": shown, "sha256": sha256_of(data)}
    if suffix == ".pdf":
        text = _pdf_text(data)
        if isinstance(text, Unreadable):
            return Unreadable(shown, text.reason)
        metadata["title"] = stem
    else:
        if b"\x00" in data[:8192]:
            return Unreadable(shown, "binary file (not text, Markdown, PDF or source code)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Unreadable(shown, "not UTF-8 text")
        if suffix in CODE_LANGUAGES:
            metadata.update(split_type="code", language=CODE_LANGUAGES[suffix])
        elif suffix not in TEXT_SUFFIXES:
            metadata["format"] = suffix.lstrip(".")
        metadata["title"] = _title(text, suffix) or stem
    if not text.strip():
        return Unreadable(shown, "no text in it")
    return DocFile(shown, text, metadata, len(data))


def _title(text: str, suffix: str) -> str | None:
    if suffix in (".md", ".markdown"):
        found = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        return found.group(1).strip() if found else None
    return None


def _pdf_text(data: bytes) -> str | Unreadable:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file: each is "not readable"
        return Unreadable("", f"not a readable PDF ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
    return text if text.strip() else Unreadable("", "the PDF has no extractable text (scanned pages need OCR first)")
