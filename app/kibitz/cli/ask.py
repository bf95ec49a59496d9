"""`kibitz ask`: store the question, stream the reply to stdout, keep everything on failure."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
from dataclasses import dataclass, field

from kibitz.cli.commands import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliContext, say
from kibitz.core import connect, exchange
from kibitz.core.chat import ChatClient, Delta, Failed, Finished, ProviderConfig, Retrying
from kibitz.core.errors import AuthError, KibitzError, NotFoundError
from kibitz.core.secrets import KeyringSecretStore
from kibitz.core.settings import Settings
from kibitz.core.settings.presets import default_prompt
from kibitz.core.store import Store
from kibitz.core.titles import fallback_title
from kibitz.core.types import Conversation, MessageId, MessageStatus, RequestParams


def _read_prompt(args: argparse.Namespace) -> str:
    """The words on the command line, then whatever is piped on stdin."""
    prompt = " ".join(args.prompt).strip()
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read().strip()
    return "\n\n".join(part for part in (prompt, piped) if part)


def _cli_params(args: argparse.Namespace) -> RequestParams:
    return RequestParams(
        model=args.model, temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens
    )


def _conversation(
    store: Store, settings: Settings, args: argparse.Namespace, prompt: str
) -> Conversation:
    """The conversation to continue, or a new one; flags given are kept as its overrides."""
    overrides = _cli_params(args)
    if args.conversation is None:
        # -s "" asks for no system prompt at all, even when settings name one.
        system = args.system if args.system is not None else default_prompt(settings) or ""
        return store.create_conversation(
            fallback_title(prompt), system_prompt=system.strip() or None, params=overrides
        )
    conversation = store.get_conversation(args.conversation)
    if conversation.deleted_at is not None:
        raise NotFoundError(
            f"conversation {conversation.id} is in the trash",
            headline="That conversation was deleted",
            hint="Restore it in the app, or start a new conversation (leave out -c).",
        )
    if overrides.overridden():
        store.set_params(conversation.id, conversation.params.merged(overrides))
    if args.system is not None:
        store.set_system_prompt(conversation.id, args.system or None)
    return store.get_conversation(conversation.id)


@dataclass
class _Printer:
    """Writes choice 0 as it streams (or at the end with --no-stream); keeps the rest."""

    stream: bool
    texts: dict[int, list[str]] = field(default_factory=dict)
    statuses: dict[int, MessageStatus] = field(default_factory=dict)

    def delta(self, event: Delta) -> None:
        self.texts.setdefault(event.index, []).append(event.text)
        if self.stream and event.index == 0:
            sys.stdout.write(event.text)
            sys.stdout.flush()

    def text(self, index: int) -> str:
        return "".join(self.texts.get(index, []))

    def end(self) -> None:
        if not self.stream:
            sys.stdout.write(self.text(0))
        others = sorted(i for i in self.texts if i != 0)
        if self.text(0) and not self.text(0).endswith("\n"):
            sys.stdout.write("\n")
        for index in others:
            sys.stdout.write(f"\n--- alternative {index + 1} ---\n{self.text(index).rstrip()}\n")
        sys.stdout.flush()


async def _stream(
    context: CliContext,
    provider: ProviderConfig,
    conversation: Conversation,
    parent_id: MessageId,
    params: RequestParams,
    printer: _Printer,
) -> KibitzError | None:
    # --no-stream asks for the whole reply in one response (for servers or proxies that
    # mishandle SSE); stall detection then gives way to the request timeout.
    options = dataclasses.replace(connect.exchange_options(context.settings), stream=printer.stream)
    async with ChatClient(provider) as client:
        events = exchange.stream_reply(
            context.store, client, conversation.id, parent_id, params, options
        )
        failure: KibitzError | None = None
        # Closed here, while the client is open: left to asyncio.run's clean-up, the exchange
        # and the HTTP stream would be finalised concurrently and the reply left `streaming`.
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, Delta):
                    printer.delta(event)
                elif isinstance(event, Retrying):
                    say(
                        f"{event.error.headline}; retrying in {event.delay:.2g} s "
                        f"(attempt {event.attempt + 1})"
                    )
                elif isinstance(event, Finished):
                    printer.statuses[event.index] = event.status
                elif isinstance(event, Failed):
                    failure = event.error
    return failure


def _finish_notes(printer: _Printer, conversation: Conversation, saved: str) -> int:
    status = printer.statuses.get(0, MessageStatus.INTERRUPTED)
    if status is MessageStatus.LENGTH:
        say(
            "The reply was cut off at the length limit.",
            f"Raise --max-tokens, or continue with `kibitz ask -c {conversation.id} continue`.",
        )
    elif status is MessageStatus.CONTENT_FILTER:
        # Not a complete answer: scripts must be able to tell (a non-zero exit).
        say(
            "The provider's content filter stopped the reply.",
            f"Rephrase the request; the part received was kept. {saved}",
        )
        return EXIT_FAILED
    elif status is MessageStatus.INTERRUPTED:
        say(
            "The server ended the reply without finishing it.",
            f"The partial reply was kept; ask again to retry. {saved}",
        )
        return EXIT_FAILED
    return EXIT_OK


def _fail(error: KibitzError, saved: str) -> int:
    """The error's two lines, the second also saying where the question was kept."""
    problem, hint = error.lines()
    if isinstance(error, AuthError):
        hint += " Store a new one with: kibitz key set"
    say(problem, f"{hint} {saved}")
    return EXIT_FAILED


def run(context: CliContext, args: argparse.Namespace) -> int:
    prompt = _read_prompt(args)
    if not prompt:
        say("Nothing to ask.", 'Give the question as arguments (kibitz ask "...") or on stdin.')
        return EXIT_USAGE
    store = context.store
    conversation = _conversation(store, context.settings, args, prompt)
    # The question is committed before anything can fail on the network or the keyring.
    question = exchange.add_user_turn(store, conversation.id, prompt)
    params = (
        context.settings.defaults.to_request_params()
        .merged(conversation.params)
        .merged(_cli_params(args))
    )
    # Folded into the hint line: the contract is one or two lines per failure.
    saved = f"Your question is saved in conversation {conversation.id}."
    try:
        provider = connect.provider_config(context.settings, KeyringSecretStore())
    except KibitzError as exc:
        return _fail(exc, saved)
    printer = _Printer(stream=not args.no_stream)
    try:
        failure = asyncio.run(
            _stream(context, provider, conversation, question.id, params, printer)
        )
    except KeyboardInterrupt:
        printer.end()
        kept = "the partial reply was kept" if printer.text(0) else "no reply had arrived yet"
        say(f"Stopped; {kept}.", saved)
        return EXIT_INTERRUPTED
    printer.end()
    if failure is not None:
        return _fail(failure, saved)
    return _finish_notes(printer, conversation, saved)
