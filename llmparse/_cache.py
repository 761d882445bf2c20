"""Cache: results on disk, addressed by what made them, so a rerun over a corpus makes no model call.

The key is a hash of the letter's normalised text, the strategy, the model, the mode, the prompt version, the
output schema version and the llmparse version: change any of them and the old entry is simply not found.
Entries are written to a temporary file and renamed into place, so concurrent writers (threads, processes,
two runs over the same folder) never leave a half-written entry; the last writer wins with an equal result.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from ._models import SCHEMA_VERSION, Result

__all__ = ["ResultCache", "default_cache_dir"]

logger = logging.getLogger("llmparse")


def default_cache_dir() -> Path:
    """``$LLMPARSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/llmparse``, else ``~/.cache/llmparse``."""
    if os.environ.get("LLMPARSE_CACHE_DIR"):
        return Path(os.environ["LLMPARSE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmparse"


class ResultCache:
    """Results stored as JSON files under ``folder``, one per key.

    Args:
        folder: where entries live (created on first write).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"ResultCache({str(self.folder)!r})"

    @staticmethod
    def key(text: str, *, strategy: str, model: str | None, mode: str | None, prompt_version: str | None,
            version: str) -> str:
        """The entry's key: a hash of the text and of everything that shapes the result."""
        parts = [hashlib.sha256(text.encode("utf-8")).hexdigest(), strategy, model or "", mode or "",
                 prompt_version or "", SCHEMA_VERSION, version]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Result | None:
        """The stored result, or None (an unreadable entry counts as missing)."""
        path = self._path(key)
        try:
            result = Result.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: Result) -> None:
        """Store ``result`` atomically; a failure to write is logged, never raised."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as handle:
                handle.write(result.model_dump_json().encode("utf-8"))
            os.replace(tmp, path)
        except OSError as exc:
            logger.warning("cache: could not write %s: %s", path, exc)

    def clear(self) -> int:
        """Remove every entry (and nothing else in the folder); returns how many entries there were."""
        if not self.folder.is_dir():
            return 0
        count = 0
        for shard in self.folder.iterdir():
            if not (shard.is_dir() and len(shard.name) == 2):
                continue
            for entry in shard.glob("*.json"):
                count += not entry.name.startswith(".tmp-")
                entry.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                shard.rmdir()
        return count
