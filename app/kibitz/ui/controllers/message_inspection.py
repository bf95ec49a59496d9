"""Windows that show what lies behind the chat: a stored message, or the next request.

Both modules load when first opened, not with the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from kibitz.core.errors import KibitzError, StoreError
from kibitz.core.store import Store
from kibitz.core.types import MessageId, RequestParams
from kibitz.ui.notify import Notify, error_notice

if TYPE_CHECKING:
    from kibitz.ui.chat_controller import ChatController
    from kibitz.ui.views.message_inspector import MessageInspector


def open_message_inspector(
    store: Store, message_id: int, parent: QWidget, notify: Notify
) -> MessageInspector | None:
    """A window with what the store holds about the message (None: it could not be read)."""
    from kibitz.ui.views.message_inspector import MessageInspector

    try:
        message = store.get_message(MessageId(message_id))
        provider = store.get_conversation(message.conversation_id).provider
        exchanges = store.exchanges(message.id)
    except StoreError as exc:
        notify(error_notice(exc, "read that message"))
        return None
    inspector = MessageInspector(message, provider, parent, exchanges=exchanges)
    inspector.show()
    return inspector


def open_next_request(chat: ChatController, parent: QWidget, notify: Notify) -> QDialog | None:
    """A window with the request sending the composer's message now would make (after
    trimming, each parameter with its source); nothing is sent or stored."""
    from kibitz.core.conversation.preview import preview_request
    from kibitz.ui.views.request_view import NextRequestView

    overrides, provider = RequestParams(), None
    if chat.conversation_id is None and chat.models is not None:
        overrides, provider = chat.models.new_chat_params(None)
    try:
        preview = preview_request(
            chat.engine,
            chat.composer.text,
            conversation_id=chat.conversation_id,
            attachments=chat.composer.attachments,
            overrides=overrides,
            provider=provider,
            options=chat.turn_options(),
        )
    except (KibitzError, KeyError) as exc:
        error = exc if isinstance(exc, KibitzError) else StoreError(str(exc))
        notify(error_notice(error, "show the next request"))
        return None
    dialog = QDialog(parent)
    dialog.setObjectName("nextRequest")
    dialog.setWindowTitle("Next request")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    layout.addWidget(NextRequestView(preview, dialog))
    dialog.resize(640, 620)
    dialog.show()
    return dialog
