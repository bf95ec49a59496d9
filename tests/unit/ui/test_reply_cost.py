"""A reply shows its tokens and what it cost once its usage arrives, and a conversation's
tooltip in the sidebar what its replies cost so far. Real chat view, list model and store."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kibitz.core.pricing import DEFAULT_PRICES, charge_for, format_usd, reply_cost
from kibitz.core.store import Store
from kibitz.core.types import Role, Usage
from kibitz.ui.models.conversation_list import ConversationListModel
from kibitz.ui.views.chat_view import ChatView

MINI = DEFAULT_PRICES[("openai", "gpt-4o-mini")]


def test_a_reply_shows_its_cost_and_the_conversation_its_total(qtbot: QtBot, store: Store) -> None:
    conv = store.create_conversation("Sorting")
    question = store.add_message(conv.id, None, Role.USER, "How do I sort a list?")
    reply = store.add_message(conv.id, question.id, Role.ASSISTANT, "sorted()", model="gpt-4o")
    unpriced = store.add_message(conv.id, question.id, Role.ASSISTANT, "list.sort()")
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.show_conversation(conv.id)

    usage = Usage(1000, 500, 1500, reasoning_tokens=100, cached_tokens=200)
    store.set_usage(unpriced.id, Usage(10, 5, 15), charge_for("custom", Usage(10, 5, 15), None))
    store.set_usage(reply.id, usage, charge_for("work", usage, MINI))
    store.select_branch(reply.id)

    widget = view.message_widget(reply.id)
    assert widget is not None
    assert widget.footer_text().startswith("1,000 → 500 tokens (100 reasoning) · $0.00044")

    model = ConversationListModel(store)
    tip = str(model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole))
    cost = format_usd(reply_cost(usage, MINI))
    assert tip == f"Sorting\n1,515 tokens, {cost} (+ 1 unpriced)"


def test_a_reply_without_a_price_shows_its_tokens_only(qtbot: QtBot, store: Store) -> None:
    conv = store.create_conversation("Local")
    question = store.add_message(conv.id, None, Role.USER, "hi")
    reply = store.add_message(conv.id, question.id, Role.ASSISTANT, "hello")
    store.set_usage(reply.id, Usage(3, 2, 5), charge_for("custom", Usage(3, 2, 5), None))
    view = ChatView(store)
    qtbot.addWidget(view)
    view.show()
    view.show_conversation(conv.id)
    widget = view.message_widget(reply.id)
    assert widget is not None
    assert widget.footer_text() == "3 → 2 tokens"
    model = ConversationListModel(store)
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Local\n5 tokens, cost unknown"
