"""CompareController: one question to two to four models at once, their replies in columns.

While Compare is on (the composer's Compare button, Ctrl+Shift+K), a send goes to
`ConversationEngine.compare`: the question is stored once and each model's reply streams into
its own column of the CompareView, each turn a task of its own, so one model failing or
stopped leaves the others going. The replies are siblings in the store, as regenerated ones are;
"Continue with this" makes one the current branch, sets the conversation's model to it, and
the chat shows that branch again with ‹ k/N ›. Columns are for the live comparison only: a
conversation opened later shows its branch with the other replies as versions.

A follow-up with Compare still on compares again with the same models (under the chosen reply,
or the leftmost usable one if none was chosen); with it off, it goes to the chosen model (the
leftmost usable one if none was chosen), the columns giving way to the chat.
Tools are not offered to compared turns: their approvals belong to one reply at a time.

A question already asked (one compared before, reopened later) is compared again from its
"Compare again…": the Compare menu opens offering to ask it of the ticked models, and their
replies stream into the columns as new versions of its answer.

The window makes the controller when Compare is first used (`in_stack`): its button and
Ctrl+Shift+K, or a question's "Compare again…", are connected by the window, not here.

While the columns show, the chat view lets the conversation go (ChatController.set_covered):
it would otherwise follow the store and render every reply as it grows, unseen; it reads the
branch once when the columns give way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QStackedWidget, QWidget

from kibitz.core.errors import Action, AttachmentError, StoreError
from kibitz.core.settings.provider import ENV_PROVIDER_NAME
from kibitz.core.store import Store
from kibitz.core.types import (
    FilePart,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    RequestParams,
    Role,
)
from kibitz.ui.notify import Notice, Notify, error_notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.compare_view import ColumnFigures, CompareView
from kibitz.ui.views.message_attachments import attachment_parts
from kibitz.ui.views.model_menu import ChosenModel

if TYPE_CHECKING:
    from kibitz.core.conversation.engine import Turn
    from kibitz.core.conversation.events import TurnEvent
    from kibitz.ui.chat_controller import ChatController
    from kibitz.ui.views.compare_menu import CompareMenu

log = logging.getLogger(__name__)

MIN_MODELS, MAX_MODELS = 2, 4
TASK_PREFIX = "compare:"
_NAMED_CHARS = 40  # of the question, in the menu's "Compare again" line


class CompareController(QObject):
    """Owns Compare mode: the picked models, the live columns, and the choice among them."""

    active_changed = Signal(bool)  # the view with the columns is (True) or is not shown

    def __init__(
        self,
        chat: ChatController,
        view: CompareView,
        store: Store,
        runner: TaskRunner,
        notify: Notify,
        show_columns: Callable[[bool], None],
        parent: QObject | None = None,
    ) -> None:
        """`show_columns(True)` puts the view with the columns where the chat is shown;
        `show_columns(False)` brings the chat back."""
        super().__init__(parent)
        self._chat = chat
        self._store = store
        self._runner = runner
        self._notify = notify
        self._show_columns = show_columns
        self.on = False
        self.picked: list[ChosenModel] = []
        self._replies: list[MessageId | None] = []  # per column
        self._question: MessageId | None = None
        self._chosen: MessageId | None = None
        self.menu: CompareMenu | None = None
        self.showing = False
        self._again: MessageId | None = None  # the question "Compare again…" was opened for
        self.view = view
        chat.composer.stop_requested.connect(self.stop_all)
        view.stop_requested.connect(self.stop)
        view.stop_all_requested.connect(self.stop_all)
        view.continue_requested.connect(self.continue_with)
        view.error_action_requested.connect(self._on_view_error_action_requested)
        view.attachment_opened.connect(self._on_view_attachment_opened)
        view.set_thumbnails(chat.media.thumbnails)
        runner.finished.connect(self._on_runner_finished)
        chat.conversation_opened.connect(self._on_chat_conversation_opened)
        chat.compare = self

    @classmethod
    def in_stack(
        cls,
        stack: QStackedWidget,
        chat_view: QWidget,
        chat: ChatController,
        store: Store,
        runner: TaskRunner,
        notify: Notify,
        parent: QObject | None = None,
    ) -> CompareController:
        """Compare mode for a window whose `stack` shows `chat_view`: the columns' view is
        added to it, shown in the chat view's place while they are."""
        view = CompareView()
        stack.addWidget(view)

        def show_columns(shown: bool) -> None:
            stack.setCurrentWidget(view if shown else chat_view)

        return cls(chat, view, store, runner, notify, show_columns, parent)

    # -- the mode -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(self._runner.running(_key(i)) for i in range(len(self._replies)))

    def set_models(self, picked: list[ChosenModel]) -> None:
        """The models to compare (the first four); Compare is on with two or more."""
        self.picked = list(dict.fromkeys(picked))[:MAX_MODELS]
        self.set_on(len(self.picked) >= MIN_MODELS)

    def set_on(self, on: bool) -> None:
        self.on = on and len(self.picked) >= MIN_MODELS
        names = ", ".join(p.model for p in self.picked)
        self._chat.composer.set_compare(self.on, f"Compare: {names}" if self.on else "")

    def show_menu(self) -> None:
        """The multi-pick of models over the composer (the current model ticked to start)."""
        menu = self._filled_menu(None)
        button = self._chat.composer.compare_button
        menu.popup_over(button if button.isVisible() else self._chat.composer)

    def compare_again(self, question_id: int) -> None:
        """A question's "Compare again…": the Compare menu, where the pointer is (else over
        the composer), offering to ask that question of the ticked models."""
        try:
            question = self._store.get_message(MessageId(question_id))
        except StoreError as exc:
            self._notify(error_notice(exc, "compare again"))
            return
        if question.role is not Role.USER:
            return
        self._again = question.id
        words = " ".join(question.content.split()) or ", ".join(
            p.name for p in attachment_parts(question.parts)
        )
        if len(words) > _NAMED_CHARS:
            words = words[: _NAMED_CHARS - 1].rstrip() + "…"
        menu = self._filled_menu(words)
        point = QCursor.pos()  # on the button that asked, when a click did
        window = self._chat.composer.window()
        if window.rect().contains(window.mapFromGlobal(point)):
            # A question's buttons sit at the right: the menu opens leftwards, in the window.
            right = window.mapToGlobal(window.rect().topRight()).x()
            width = menu.sizeHint().width()
            menu.popup_at(point if point.x() + width <= right else point - QPoint(width, 0))
        else:
            menu.popup_over(self._chat.composer)

    def _filled_menu(self, again: str | None) -> CompareMenu:
        """The menu with every provider's models, the picks ticked (at first, the current
        model); `again`: the question its "Compare again" line names (None: no such line)."""
        from kibitz.ui.views.compare_menu import CompareMenu

        models = self._chat.models
        if self.menu is None:
            self.menu = CompareMenu(self._chat.composer)
            self.menu.picked_changed.connect(self.set_models)
            self.menu.turned_off.connect(lambda: self.set_on(False))
            self.menu.again_requested.connect(self._on_menu_again_requested)
            if models is not None:
                models.group_fetched.connect(self.menu.update_group)
        if again is None:
            self._again = None
        groups = models.groups() if models is not None else []
        picked = self.picked
        if not picked and models is not None:
            picked = [models.current()]
        self.menu.set_groups(groups, picked, MAX_MODELS)
        self.menu.set_again(again)
        return self.menu

    # -- sending --------------------------------------------------------------------------------

    def take(self, text: str) -> bool:
        """Send `text` to every picked model, if Compare is on; False: it is the chat's."""
        if not self.on:
            if self.showing and not self.running:
                # Compare was turned off over the columns: the chat takes the follow-up.
                self._choose_if_none()
                self._set_showing(False)
            return False
        chat, composer = self._chat, self._chat.composer
        attachments = composer.attachments
        if self.running or composer.reading or (not text.strip() and not attachments):
            return True
        if self.showing:
            self._choose_if_none()
        from kibitz.core.conversation.engine import ModelChoice

        try:
            conversation = chat.ensure_conversation(text or ", ".join(a.name for a in attachments))
            turns = chat.engine.compare(
                conversation,
                text,
                [ModelChoice(p.model, _profile(p.provider)) for p in self.picked],
                attachments=attachments,
                options=chat.turn_options(),
            )
        except (AttachmentError, StoreError) as exc:
            self._notify(error_notice(exc, "send your message"))
            return True
        if chat.drafts is not None:
            from kibitz.core.drafts import conversation_key

            chat.drafts.sent(conversation_key(conversation))
        composer.clear()
        question = turns[0].question
        self._start(text, attachment_parts(question.parts) if question else (), turns)
        return True

    def ask_again(self, question_id: MessageId) -> bool:
        """Ask a question already in the conversation of the picked models again: each reply
        a new version of its answer, streaming in the columns. False: nothing was asked (a
        reply is arriving, fewer than two models are picked, or the question is gone)."""
        chat = self._chat
        if self.running or chat.busy or len(self.picked) < MIN_MODELS:
            return False
        try:
            question = self._store.get_message(question_id)
            if question.role is not Role.USER or question.conversation_id != chat.conversation_id:
                return False
            turns = []
            for picked in self.picked:
                turn = chat.engine.reply_to(
                    question.id,
                    overrides=RequestParams(model=picked.model),
                    options=chat.turn_options(),
                )
                turn.provider = _profile(picked.provider)
                turns.append(turn)
        except StoreError as exc:
            self._notify(error_notice(exc, "compare again"))
            return False
        self._start(question.content, attachment_parts(question.parts), turns)
        return True

    def _start(
        self, text: str, attachments: tuple[ImagePart | FilePart, ...], turns: list[Turn]
    ) -> None:
        """The columns for the question `text` (with its attachments), and a task per turn."""
        self._question = turns[0].parent_id
        self._chosen = None
        self._replies = [None] * len(turns)
        self.view.start(text, [(p.model, p.provider) for p in self.picked], attachments)
        self._set_showing(True)
        for index, turn in enumerate(turns):
            self._runner.start(_key(index), self._run(index, turn))
        self._chat.composer.set_busy(True, "Models are replying…")
        self._chat.busy_changed.emit(True)

    def stop(self, index: int) -> None:
        self._runner.cancel(_key(index))

    def stop_all(self) -> None:
        for index in range(len(self._replies)):
            self._runner.cancel(_key(index))

    # -- choosing -------------------------------------------------------------------------------

    def continue_with(self, index: int) -> None:
        """The column's reply becomes the conversation's branch, its model the conversation's;
        the chat shows it, the other replies as its versions."""
        reply = self._replies[index] if 0 <= index < len(self._replies) else None
        if reply is None or not self.showing:
            return
        if self._runner.running(_key(index)):
            self.stop(index)
        self._choose(reply)
        self._set_showing(False)

    def _choose(self, reply: MessageId) -> None:
        try:
            message = self._store.get_message(reply)
            self._store.select_branch(reply)
            conversation = self._store.get_conversation(message.conversation_id)
            if message.model:
                params = conversation.params.merged(RequestParams(model=message.model))
                self._store.set_params(conversation.id, params)
            column = self._column_of(reply)
            if column is not None:
                self._store.set_provider(conversation.id, _profile(self.picked[column].provider))
        except StoreError as exc:
            self._notify(error_notice(exc, "continue with that reply"))
            return
        self._chosen = reply
        if self._chat.models is not None:
            self._chat.models.refresh()

    def _choose_if_none(self) -> None:
        """Before a follow-up: the leftmost usable reply, if none was chosen."""
        if self._chosen is None:
            first = self._first_usable()
            if first is not None:
                self._choose(first)

    def _first_usable(self) -> MessageId | None:
        for column in self.view.columns:
            message = column.message
            if message is not None and message.status is MessageStatus.COMPLETE:
                return message.id
        return None

    def _column_of(self, reply: MessageId) -> int | None:
        return self._replies.index(reply) if reply in self._replies else None

    def _set_showing(self, showing: bool) -> None:
        if showing != self.showing:
            self.showing = showing
            # Covered before the columns show (nothing of the chat repaints), uncovered before
            # it shows again (it shows the branch as it is, once).
            self._chat.set_covered(showing)
            self._show_columns(showing)
            self.active_changed.emit(showing)

    # -- the turns ------------------------------------------------------------------------------

    async def _run(self, index: int, turn: Turn) -> None:
        try:
            async with contextlib.aclosing(turn.run()) as events:
                async for event in events:
                    self._show(index, event)
        finally:
            reply = self._replies[index] if index < len(self._replies) else None
            if reply is not None:
                with contextlib.suppress(StoreError):
                    message = self._store.get_message(reply)
                    if self.view.column(index).streaming:  # stopped: as stored
                        self.view.finish(index, message, self._figures(message))

    def _show(self, index: int, event: TurnEvent) -> None:
        from kibitz.core.conversation import events as e

        view = self.view
        if isinstance(event, e.ReplyStarted):
            self._replies[index] = event.message.id
            view.begin(index, event.message)
        elif isinstance(event, e.TextStreamed):
            view.append(index, event.text)
        elif isinstance(event, e.ReasoningStreamed):
            view.append(index, event.text, reasoning=True)
        elif isinstance(event, e.AnswerBecameReasoning):
            view.begin(index, self._store.get_message(event.message_id))
        elif isinstance(event, e.RetryWaiting):
            widget = view.column(index).widget
            if widget is not None:
                widget.show_retry_countdown(event.delay, event.error.headline)
        elif isinstance(event, e.ParameterLeftOut):
            from kibitz.core.capabilities import told

            self._notify(Notice(told(event.model, event.param), timeout_ms=12_000))
        elif isinstance(event, e.ReplyFinished):
            self._replies[index] = event.message.id
            view.finish(index, event.message, self._figures(event.message))
        elif isinstance(event, e.TurnEnded) and event.failure is not None:
            if event.failed_reply is not None and self._replies[index] is None:
                self._replies[index] = event.failed_reply
                view.finish(index, self._store.get_message(event.failed_reply))
            view.show_error(index, event.failure)

    def _figures(self, message: Message) -> ColumnFigures:
        """What the reply's exchange recorded: time to first token, speed, tokens; and cost."""
        from kibitz.core.chat.exchange import Exchange

        figures = ColumnFigures()
        try:
            stored = self._store.exchanges(message.id)
        except StoreError:
            stored = []
        if stored:
            exchange = Exchange.from_json(stored[-1].record)
            figures.first_token_s = exchange.first_token_s
            figures.tokens_per_second = exchange.tokens_per_second
        usage = message.usage
        if usage is not None:
            figures.tokens = usage.completion_tokens
        if message.cost_nanos is not None:
            from kibitz.core.pricing import format_usd

            figures.cost = format_usd(message.cost_nanos)
        return figures

    # -- slots ----------------------------------------------------------------------------------

    def _on_runner_finished(self, key: str) -> None:
        if key.startswith(TASK_PREFIX) and not self.running:
            self._chat.composer.set_busy(False)
            self.view.set_running(False)
            self._chat.busy_changed.emit(False)

    def _on_view_error_action_requested(self, message_id: int, action: Action) -> None:
        """Retry asks that column's model again (the others stay); Choose model opens the
        Compare menu; other actions open the settings page they name."""
        column = self._column_of(MessageId(message_id))
        if action is Action.CHOOSE_MODEL:
            self.show_menu()  # another model in its place, for the next comparison
            return
        if action is not Action.RETRY or column is None:
            self._chat.setup_requested.emit(action.value)
            return
        if self._runner.running(_key(column)):
            return
        picked = self.picked[column] if column < len(self.picked) else None
        try:
            turn = self._chat.engine.regenerate(
                MessageId(message_id),
                overrides=RequestParams(model=picked.model) if picked is not None else None,
                options=self._chat.turn_options(),
            )
        except StoreError as exc:
            self._notify(error_notice(exc, "ask again"))
            return
        if picked is not None:
            turn.provider = _profile(picked.provider)
        self.view.restart(column)
        self._runner.start(_key(column), self._run(column, turn))
        self._chat.composer.set_busy(True, "Models are replying…")
        self.view.set_running(True)

    def _on_menu_again_requested(self) -> None:
        question, self._again = self._again, None
        if question is not None:
            self.ask_again(question)

    def _on_view_attachment_opened(self, part: ImagePart | FilePart) -> None:
        self._chat.opener.open(part, self.view.window())

    def _on_chat_conversation_opened(self, _conversation: object) -> None:
        # Columns are for the live comparison only: another conversation shows its branch.
        if self.showing:
            self.stop_all()
            self._set_showing(False)


def _key(index: int) -> str:
    return f"{TASK_PREFIX}{index}"


def _profile(provider: str) -> str | None:
    """The engine's name for a provider: None for the one the environment gives."""
    return None if provider in ("", ENV_PROVIDER_NAME) else provider
