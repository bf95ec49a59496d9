"""Benchmark of import and export: a 1,000-conversation ChatGPT export in, 1,000 Markdown files out.

Run: `bash tests/run.sh --bench transfer` or `.venv/bin/python tests/bench/bench_transfer.py
[--conversations N] [--runs N]`. Targets (DESIGN.md): import <= 5 s, Markdown export <= 3 s.

The export is made by tests/support/chatgpt_export.py: 10-40 messages per conversation, code
blocks, tool runs, regenerated replies and edited questions (branches), hidden context nodes.
Each import goes into a fresh data folder; each export into a fresh folder. Baselines measured
in the same run, so the ratios hold on a busy machine:
- import: reading the zip and `json.loads` of its conversations.json, nothing else;
- export: writing the very same Markdown bytes to the same number of files, with no reading
  of the store and no formatting.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script

from tests.support.chatgpt_export import generated_export, write_export_zip  # noqa: E402

from kibitz.core.store import Store  # noqa: E402
from kibitz.core.transfer import (  # noqa: E402
    ImportProgress,
    chosen_conversations,
    conversation_to_markdown,
    export_filename,
    export_json_file,
    export_markdown,
    import_file,
)

IMPORT_TARGET_S = 5.0
EXPORT_TARGET_S = 3.0


def _median_min(samples: list[float]) -> str:
    return f"median {statistics.median(samples):6.3f} s  min {min(samples):6.3f} s"


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def _baseline_parse(path: Path) -> float:
    start = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("conversations.json").decode("utf-8"))
    elapsed = time.perf_counter() - start
    assert isinstance(data, list)
    return elapsed


def _import_once(path: Path, work: Path, run: int) -> tuple[float, float, Store]:
    """(total seconds, seconds spent saving: the store's lock is held that long), store."""
    store = Store.open(work / f"import-{run}" / "kibitz.sqlite3")
    saving_started: list[float] = []

    def progress(p: ImportProgress) -> None:
        if p.phase == "saving" and not saving_started:
            saving_started.append(time.perf_counter())

    start = time.perf_counter()
    report = import_file(store, path, progress=progress)
    end = time.perf_counter()
    assert len(report.imported) > 0
    # The first "saving" report comes after the first conversation is written.
    return end - start, end - (saving_started[0] if saving_started else end), store


def _baseline_write(texts: list[tuple[str, str]], folder: Path) -> float:
    folder.mkdir(parents=True)
    start = time.perf_counter()
    for name, text in texts:
        with (folder / name).open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return time.perf_counter() - start


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kibitz-bench-transfer-"))
    try:
        print(f"generating a {args.conversations}-conversation ChatGPT export ...", flush=True)
        data = generated_export(args.conversations)
        path = write_export_zip(work / "chatgpt-export.zip", data)
        nodes = sum(len(c["mapping"]) for c in data)
        with zipfile.ZipFile(path) as archive:
            raw = archive.getinfo("conversations.json").file_size
        print(
            f"export: {path.stat().st_size / 1e6:.1f} MB zip, conversations.json "
            f"{raw / 1e6:.1f} MB, {nodes} nodes"
        )

        parse: list[float] = []
        imports: list[float] = []
        saves: list[float] = []
        exports: list[float] = []
        writes: list[float] = []
        json_exports: list[float] = []
        store: Store | None = None
        for run in range(args.runs):  # the cases take turns, so machine load hits them alike
            parse.append(_baseline_parse(path))
            if store is not None:
                store.close()
            total, saving, store = _import_once(path, work, run)
            imports.append(total)
            saves.append(saving)
            conversations = chosen_conversations(store, None)
            out = work / f"md-{run}"
            exports.append(_timed(lambda: export_markdown(store, conversations, out)))  # noqa: B023
            texts = [
                (export_filename(c), conversation_to_markdown(c, store.branch(c.id)))
                for c in conversations
            ]
            writes.append(_baseline_write(texts, work / f"plain-{run}"))
            target = work / f"all-{run}.json"
            json_exports.append(
                _timed(lambda: export_json_file(store, conversations, target))  # noqa: B023
            )
        assert store is not None
        messages = sum(c.message_count for c in chosen_conversations(store, None))
        store.close()

        imp, base = statistics.median(imports), statistics.median(parse)
        exp, plain = statistics.median(exports), statistics.median(writes)
        print(f"\nstored: {args.conversations} conversations, {messages} messages")
        print(f"\nimport of the ChatGPT export ({args.runs} runs, a fresh data folder each)")
        print(f"  import (read, convert, store)  {_median_min(imports)}")
        print(f"    of which saving (lock held)  {_median_min(saves)}")
        print(f"  baseline: unzip + json.loads   {_median_min(parse)}")
        print(f"  ratio {imp / base:.1f}x the baseline; target <= {IMPORT_TARGET_S:.0f} s: "
              f"{_verdict(imp, IMPORT_TARGET_S)}")  # fmt: skip
        print(f"\nMarkdown export of {args.conversations} conversations (a fresh folder each)")
        print(f"  export (read, render, write)   {_median_min(exports)}")
        print(f"  baseline: write the same bytes {_median_min(writes)}")
        print(f"  ratio {exp / plain:.1f}x the baseline; target <= {EXPORT_TARGET_S:.0f} s: "
              f"{_verdict(exp, EXPORT_TARGET_S)}")  # fmt: skip
        print(f"\nJSON export (for reference)     {_median_min(json_exports)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
