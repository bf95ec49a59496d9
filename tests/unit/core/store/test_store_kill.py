"""kill -9 in the middle of a streamed reply (its answer or its reasoning): the database opens
clean and <= ~250 ms is lost."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kibitz.core.store import Store
from kibitz.core.types import MessageId, MessageStatus

# The child appends numbered, time-stamped chunks through a real ReplyWriter, and logs each
# one to a side file with an unbuffered write before handing it to the writer.
_CHILD = r"""
import os, sys, time
from kibitz.core.store import Store
from kibitz.core.types import Role

store = Store.open(sys.argv[1])
conv = store.create_conversation("kill -9")
user = store.add_message(conv.id, None, Role.USER, "write forever")
writer = store.begin_reply(conv.id, user.id, model="test")
side = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
append = writer.append_reasoning if sys.argv[3] == "reasoning" else writer.append
print(writer.message_id, flush=True)
i = 0
while True:
    stamp = time.time()
    os.write(side, f"{i} {stamp!r}\n".encode())
    append(f"<{i}|{stamp!r}>")
    i += 1
    time.sleep(0.003)
"""
_CHUNK = re.compile(r"<(\d+)\|([0-9.]+)>")
MAX_LOSS_S = 0.25
CHILD_PAUSE_S = 0.003  # the child sleeps this long between chunks, so it appends no faster
# What ~250 ms can hold: the child appends at most one chunk per pause. Counted in chunks, not
# in seconds from the kill: a loaded machine may pause the child before the kill, which
# lengthens the time but not what was appended and lost.
MAX_LOST_CHUNKS = int(MAX_LOSS_S / CHILD_PAUSE_S)


def _kill_during_reply(db: Path, side: Path, delay: float, kind: str) -> tuple[MessageId, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), str(side), kind],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        message_id = MessageId(int(child.stdout.readline()))
        time.sleep(delay)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return message_id, killed_at


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("kind", ["text", "reasoning"])
def test_sigkill_mid_reply_loses_at_most_a_quarter_second(tmp_path: Path, kind: str) -> None:
    db, side = tmp_path / "kibitz.sqlite3", tmp_path / "appended.log"
    delay = random.uniform(0.3, 1.5)
    message_id, killed_at = _kill_during_reply(db, side, delay, kind)
    assert db.with_name(db.name + "-wal").exists()  # it really died without closing

    with Store.open(db) as store:
        assert store.recovered is None  # opens clean
        assert store.interrupted_on_open == 1
        reply = store.get_message(message_id)
    assert reply.status is MessageStatus.INTERRUPTED
    streamed, other = (reply.reasoning, reply.content)
    if kind == "text":
        streamed, other = other, streamed
    assert other == ""

    saved = [(int(i), float(t)) for i, t in _CHUNK.findall(streamed)]
    appended = [line.split() for line in side.read_text().splitlines()]
    # What was saved is exactly the first chunks, in order, none torn.
    assert [i for i, _ in saved] == list(range(len(saved)))
    assert "".join(f"<{i}|{t}>" for i, t in appended[: len(saved)]) == streamed
    assert len(saved) > 10, f"too little saved to judge: {len(saved)} chunks"
    lost = len(appended) - len(saved)
    lost_s = float(appended[-1][1]) - saved[-1][1]
    to_kill_ms = (killed_at - saved[-1][1]) * 1000
    print(
        f"killed after {delay:.2f} s: {len(saved)} of {len(appended)} chunks saved, {lost} lost,"
        f" written over {lost_s * 1000:.0f} ms ({to_kill_ms:.0f} ms from the newest saved one"
        " to the kill)"
    )
    assert lost <= MAX_LOST_CHUNKS
