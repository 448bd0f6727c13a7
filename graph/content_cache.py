"""Results of pure build steps kept in the reasoner cache folder, keyed by a SHA-256 of everything they depend on."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

# Bump when the layout of a cached result changes (the code of the steps is part of each key anyway).
CACHE_FORMAT = 1


def content_digest(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over a sequence of parts, each length-prefixed so that no two sequences share a digest."""
    digest = hashlib.sha256(f"content-cache {CACHE_FORMAT}\0".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def source_of(*modules: str) -> list[bytes]:
    """The source files of the named modules that compute a result (found, not imported): editing them changes its key."""
    return [Path(importlib.util.find_spec(module).origin).read_bytes() for module in modules]


def cache_path(cache_dir: Path, kind: str, digest: str) -> Path:
    """Where one result is kept: beside HermiT's verdicts, named by its kind and input digest."""
    return Path(cache_dir) / f"{kind}-{digest}.json"


def read_result(cache_dir: Path | None, kind: str, digest: str) -> Any | None:
    """A kept result, or None when there is no cache, no such file, or it is unreadable (then it is recomputed)."""
    if cache_dir is None:
        return None
    try:
        return json.loads(cache_path(cache_dir, kind, digest).read_text(encoding="utf-8"))["result"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_result(cache_dir: Path | None, kind: str, digest: str, result: Any) -> None:
    """Keep a result atomically (temporary file, then rename), so concurrent builds never read half a file."""
    if cache_dir is None:
        return
    path = cache_path(cache_dir, kind, digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         prefix=".tmp-", suffix=".json") as handle:
            json.dump({"result": result}, handle)
        os.replace(handle.name, path)
    except OSError:
        # A read-only or full cache folder costs the next build the work again, never this build.
        return
