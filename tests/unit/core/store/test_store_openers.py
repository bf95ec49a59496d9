"""A store opened while another process has the file open (`kibitz ask` while the app streams a
reply) leaves that process's replies alone: only a store that is the file's only user marks
replies left `streaming` as cut off by a crash.

A second Store in this process plays the other process; a real child process plays the one that
was killed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role

_OTHER_PROCESS = r"""
import sys
from kibitz.core.store import Store
with Store.open(sys.argv[1]) as store:
    print(store.interrupted_on_open)
"""


def test_opening_while_another_store_streams_leaves_its_reply_streaming(db_path: Path) -> None:
    with Store.open(db_path) as app:
        conversation = app.create_conversation("streaming in the app")
        question = app.add_message(conversation.id, None, Role.USER, "A long story, please")
        writer = app.begin_reply(conversation.id, question.id)
        writer.append("Once upon a time")
        writer.flush()
        # `kibitz ask` starts meanwhile, in another process.
        done = subprocess.run(
            [sys.executable, "-c", _OTHER_PROCESS, str(db_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert done.stdout.strip() == "0"
        reply = app.get_message(writer.message_id)
        assert (reply.status, reply.error) == (MessageStatus.STREAMING, None)
        writer.append(", the end.")
        writer.finish(MessageStatus.COMPLETE, "stop")
        final = app.get_message(writer.message_id)
        assert (final.status, final.content) == (
            MessageStatus.COMPLETE,
            "Once upon a time, the end.",
        )


def test_a_second_store_in_this_process_counts_as_another_user(db_path: Path) -> None:
    with Store.open(db_path) as app:
        conversation = app.create_conversation("c")
        question = app.add_message(conversation.id, None, Role.USER, "q")
        writer = app.begin_reply(conversation.id, question.id)
        with Store.open(db_path) as other:
            assert other.interrupted_on_open == 0
            assert other.get_message(writer.message_id).status is MessageStatus.STREAMING
        writer.finish(MessageStatus.COMPLETE, "stop")


def test_the_only_user_repairs_what_a_dead_process_left(db_path: Path) -> None:
    with Store.open(db_path) as app:
        conversation = app.create_conversation("c")
        question = app.add_message(conversation.id, None, Role.USER, "q")
        left = app.begin_reply(conversation.id, question.id).message_id
    # Closed without finishing (as a killed process leaves it): the next sole user repairs it.
    with Store.open(db_path) as again:
        assert again.interrupted_on_open == 1
        assert again.get_message(left).status is MessageStatus.INTERRUPTED
