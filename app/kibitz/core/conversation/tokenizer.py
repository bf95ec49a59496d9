"""Exact BPE token counts, offline: tiktoken, fed OpenAI's tables from the bpe-openai package.

tiktoken fetches its tables (cl100k_base, o200k_base) from OpenAI on first use, and reads them
from TIKTOKEN_CACHE_DIR when a file named after the URL's SHA-1 is there; it checks each file
against the table's published SHA-256. bpe-openai ships the very same files (gzipped), so the
table is put where tiktoken looks, for the duration of the load, and nothing goes to the
network. bpe-openai's own compiled tokenizer (71 MB with its built-in tables) is never loaded:
the installed app leaves it out.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kibitz.core import errors

log = logging.getLogger(__name__)

_TABLE_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_ENV = "TIKTOKEN_CACHE_DIR"

_lock = threading.Lock()
_loaded: dict[str, TokenCounter] = {}


class TokenCounter:
    """Counts the tokens of plain text (special tokens are ordinary text here)."""

    def __init__(self, encoding: Any) -> None:
        self._encoding = encoding

    def count(self, text: str) -> int:
        return len(self._encoding.encode_ordinary(text))


def counter(name: str) -> TokenCounter:
    """The counter for an encoding, loaded once (about 0.1 s for cl100k, 0.25 s for o200k)."""
    with _lock:
        found = _loaded.get(name)
        if found is None:
            started = time.perf_counter()
            found = _loaded[name] = TokenCounter(_load(name))
            log.debug("loaded %s in %.0f ms", name, (time.perf_counter() - started) * 1000)
        return found


def _load(name: str) -> Any:
    import tiktoken

    table = _packaged_table(name)
    url = _TABLE_URL.format(name=name)
    with tempfile.TemporaryDirectory(prefix="kibitz-bpe-") as folder:
        Path(folder, hashlib.sha1(url.encode()).hexdigest()).write_bytes(table)
        before = os.environ.get(_ENV)
        os.environ[_ENV] = folder
        try:
            return tiktoken.get_encoding(name)
        except (ValueError, OSError) as exc:  # a table that fails its hash, a failed fetch
            raise _unavailable(name, str(exc)) from exc
        finally:
            if before is None:
                os.environ.pop(_ENV, None)
            else:
                os.environ[_ENV] = before


def _packaged_table(name: str) -> bytes:
    """The table file bpe-openai ships, found without importing bpe-openai (its __init__
    rebuilds every table in Python: half a second and ~140 MB)."""
    for folder in _table_folders():
        path = folder / f"{name}.tiktoken.gz"
        if path.is_file():
            try:
                return gzip.decompress(path.read_bytes())
            except (OSError, EOFError) as exc:
                raise _unavailable(name, f"{path}: {exc}") from exc
    raise _unavailable(name, "the bpe-openai package with its data folder is not installed")


def _table_folders() -> list[Path]:
    folders: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)  # the installed app: build.spec puts them here
    if bundle is not None:
        folders.append(Path(bundle) / "bpe_openai" / "data")
    spec = importlib.util.find_spec("bpe_openai")
    if spec is not None:
        folders += [Path(f) / "data" for f in spec.submodule_search_locations or ()]
    return folders


def _unavailable(name: str, why: str) -> errors.KibitzError:
    return errors.KibitzError(
        f"the {name} token table could not be loaded: {why}",
        headline="Token counting is not available",
        hint="Reinstall Kibitz; its token tables are missing or damaged.",
    )
