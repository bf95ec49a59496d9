"""`kibitz ask`: store the question, stream the reply to stdout, keep everything on failure.

A model whose chat template opened `<think>` in the prompt starts with its reasoning and says
so only at its `</think>` (AnswerBecameReasoning). Streamed text already printed cannot be taken
back, so stderr says once that the text above was the reasoning, and the answer follows. It is
not held back for a pipe: piped output streams as it arrives (a reader such as `tee` shows it
live); --no-stream prints the answer alone, at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kibitz.cli.ask_tools import describe_call, describe_result
from kibitz.cli.commands import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliContext, say
from kibitz.core.attachments import Attachment
from kibitz.core.capabilities import told
from kibitz.core.chat.structured_output import SchemaFileError, format_from_file
from kibitz.core.conversation.engine import (
    MAX_COMPARED,
    MIN_COMPARED,
    ConversationEngine,
    ModelChoice,
    Turn,
    turn_options,
)
from kibitz.core.conversation.events import (
    AnswerBecameReasoning,
    ParameterLeftOut,
    ReasoningStreamed,
    ReplyFinished,
    ReplyStarted,
    RetryWaiting,
    TextStreamed,
    ToolCallFinished,
    ToolCallStarted,
    TurnEnded,
)
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import (
    AttachmentError,
    AuthError,
    ConfigError,
    KibitzError,
    NotFoundError,
    SecretsError,
)
from kibitz.core.secrets import KeyFallback, KeyringSecretStore, key_fallbacks
from kibitz.core.settings.provider import effective_provider
from kibitz.core.types import Conversation, MessageId, MessageStatus, RequestParams

if TYPE_CHECKING:
    from kibitz.core.tools.mcp import ToolHub

STDIN = "-"  # --attach - : the attachment is what is piped in (xclip -o, wl-paste, curl)
WAS_REASONING = "The text above was the model's reasoning (it wrote </think>); its answer follows."


def _read_prompt(args: argparse.Namespace) -> str:
    """The words on the command line, then whatever is piped on stdin (unless stdin is an
    attachment)."""
    prompt = " ".join(args.prompt).strip()
    piped = ""
    if STDIN not in args.attach and sys.stdin is not None and not sys.stdin.isatty():
        piped = sys.stdin.read().strip()
    return "\n\n".join(part for part in (prompt, piped) if part)


def _cli_params(args: argparse.Namespace) -> RequestParams:
    return RequestParams(
        model=args.model,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        reasoning_effort=args.reasoning_effort,
        json_schema=args.json_schema_format,
    )


def _read_json_schema(args: argparse.Namespace) -> bool:
    """Read --json-schema FILE into args.json_schema_format; False (said why) when unusable."""
    args.json_schema_format = None
    if args.json_schema is None:
        return True
    try:
        args.json_schema_format, warnings = format_from_file(Path(args.json_schema))
    except SchemaFileError as error:
        say(*error.lines())
        return False
    if warnings:
        say("OpenAI's strict mode may refuse this schema:", *warnings)
    return True


def _conversation(
    engine: ConversationEngine, args: argparse.Namespace, prompt: str
) -> Conversation:
    """The conversation to continue, or a new one; flags given are kept as its overrides."""
    store = engine.store
    overrides = _cli_params(args)
    if args.conversation is None:
        # -s "" asks for no system prompt at all, even when settings name one.
        return engine.new_conversation(
            prompt,
            system_prompt=args.system,
            use_default_prompt=args.system is None,
            params=overrides,
            provider=args.provider,
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
    if args.provider is not None:
        store.set_provider(conversation.id, args.provider)
    return store.get_conversation(conversation.id)


@dataclass
class _Printer:
    """Writes choice 0 as it streams (or at the end with --no-stream); keeps the rest.
    With `reasoning`, the reasoning goes to stderr as it arrives (stdout is the answer only)."""

    stream: bool
    reasoning: bool = False
    texts: dict[int, list[str]] = field(default_factory=dict)
    choices: dict[MessageId, int] = field(default_factory=dict)
    statuses: dict[int, MessageStatus] = field(default_factory=dict)
    _thinking: bool = False
    # Where the text of the latest request begins in texts[0]: with tools, what a model says
    # before its calls is not the answer (it goes to stderr; stdout is the final reply only).
    _answer_from: int = 0
    _said_was_reasoning: bool = False

    def started(self, event: ReplyStarted) -> None:
        self.choices.setdefault(event.message.id, event.message.choice_index)

    def delta(self, event: TextStreamed) -> None:
        index = self.choices.get(event.message_id, 0)
        self.texts.setdefault(index, []).append(event.text)
        if index == 0 and self._thinking:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._thinking = False
        if self.stream and index == 0:
            sys.stdout.write(event.text)
            sys.stdout.flush()

    def was_reasoning(self, event: AnswerBecameReasoning) -> None:
        """Choice 0's text of this request was reasoning: dropped from the answer, and, if
        it was printed already, stderr says so once."""
        if self.choices.get(event.message_id, 0) != 0:
            return
        thought = self.answer()
        del self.texts.setdefault(0, [])[self._answer_from :]
        if self.stream and thought:
            if not thought.endswith("\n"):
                sys.stdout.write("\n")
            sys.stdout.flush()
            if not self._said_was_reasoning:
                self._said_was_reasoning = True
                say(WAS_REASONING)

    def thought(self, event: ReasoningStreamed) -> None:
        if self.reasoning and self.choices.get(event.message_id, 0) == 0:
            sys.stderr.write(event.text)
            sys.stderr.flush()
            self._thinking = True

    def text(self, index: int) -> str:
        return "".join(self.texts.get(index, []))

    def answer(self) -> str:
        """Choice 0's text since its last tool calls: the reply itself."""
        return "".join(self.texts.get(0, [])[self._answer_from :])

    def tool_call(self, event: ToolCallStarted) -> None:
        said = self.answer()
        if said.strip() and not self.stream:
            say(f"(before its tool calls, the model wrote) {said.strip()}")
        elif said and not said.endswith("\n"):
            sys.stdout.write("\n")
            sys.stdout.flush()
        self._answer_from = len(self.texts.get(0, []))
        say(f"tool: {describe_call(event.spec, event.call)}")

    def tool_result(self, event: ToolCallFinished) -> None:
        call = event.call
        who = f"{call.server}/{call.tool}" if call.server and call.tool else call.name
        say(f"tool: {who} {describe_result(event.result)}")

    def end(self) -> None:
        if self._thinking:
            sys.stderr.write("\n")
            self._thinking = False
        if not self.stream:
            sys.stdout.write(self.answer())
        others = sorted(i for i in self.texts if i != 0)
        if self.answer() and not self.answer().endswith("\n"):
            sys.stdout.write("\n")
        for index in others:
            sys.stdout.write(f"\n--- alternative {index + 1} ---\n{self.text(index).rstrip()}\n")
        sys.stdout.flush()


async def _stream(
    engine: ConversationEngine, turn: Turn, printer: _Printer, hub: ToolHub | None = None
) -> KibitzError | None:
    failure: KibitzError | None = None
    try:
        if hub is not None:
            await _start_servers(hub)
        # Closed here, while the engine's clients are open: left to asyncio.run's clean-up, the
        # turn and the HTTP stream would be finalised concurrently and the reply left
        # `streaming`.
        async with contextlib.aclosing(turn.run()) as events:
            async for event in events:
                if isinstance(event, ReplyStarted):
                    printer.started(event)
                elif isinstance(event, TextStreamed):
                    printer.delta(event)
                elif isinstance(event, ReasoningStreamed):
                    printer.thought(event)
                elif isinstance(event, AnswerBecameReasoning):
                    printer.was_reasoning(event)
                elif isinstance(event, RetryWaiting):
                    say(event.describe())
                elif isinstance(event, ParameterLeftOut):
                    say(told(event.model, event.param))
                elif isinstance(event, ToolCallStarted):
                    printer.tool_call(event)
                elif isinstance(event, ToolCallFinished):
                    printer.tool_result(event)
                elif isinstance(event, ReplyFinished):
                    printer.statuses[event.message.choice_index] = event.message.status
                elif isinstance(event, TurnEnded):
                    failure = event.failure
    finally:
        await engine.aclose()
        if hub is not None:
            await hub.aclose()
    return failure


async def _start_servers(hub: ToolHub) -> None:
    """Start the servers before the question goes, and say which could not start (their
    tools are not offered; the question goes on without them)."""
    from kibitz.core.tools import ServerState

    await hub.tools()
    for status in hub.status():
        if status.state is ServerState.FAILED:
            say(
                f"tool server {status.name} is not available: {status.error or 'it failed'}",
                "Its tools are not offered; see `kibitz mcp list`.",
            )


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


def _fail(error: KibitzError, saved: str, context: CliContext, provider: str | None) -> int:
    """The error's two lines, the second also saying where the question was kept."""
    problem, hint = _failure_lines(error, context, provider)
    say(problem, f"{hint} {saved}")
    return EXIT_FAILED


def _failure_lines(error: KibitzError, context: CliContext, provider: str | None) -> list[str]:
    """What went wrong, and what the CLI's user can do about it."""
    problem, hint = error.lines()
    if isinstance(error, AuthError):
        hint += " Store a new one with: kibitz key set"
    elif isinstance(error, SecretsError):
        hint = _without_keyring_hint(context, provider)
    return [problem, hint]


def _without_keyring_hint(context: CliContext, provider: str | None) -> str:
    """What the CLI can do without a keyring: the app's "keep it in memory for this run"
    means nothing to a command that ends after one question."""
    choice = effective_provider(context.settings, name=provider)
    if KeyFallback.ENVIRONMENT in key_fallbacks(choice):
        return (
            "Set OPENAI_API_KEY in the environment and run the command again, or start or "
            "unlock the system keyring; Kibitz never writes keys to a file."
        )
    return (
        "Start or unlock the system keyring, then store the key with: "
        f"kibitz key set --provider {choice.name}"
    )


def _read_attachments(paths: list[str]) -> list[Attachment]:
    """Every --attach file, read and checked before anything is stored or sent."""
    if not paths:
        return []  # Pillow and pypdf stay unloaded
    from kibitz.core.attachments.reading import read_attachment

    if paths.count(STDIN) > 1:
        raise AttachmentError(
            "--attach - was given more than once",
            headline="Only one attachment can come from stdin",
            hint="Attach the others by their paths.",
        )
    return [_read_stdin() if path == STDIN else read_attachment(path) for path in paths]


def _read_stdin() -> Attachment:
    """What is piped in, as a pasted image (pasted-image-1.png) or a file named stdin.*."""
    import dataclasses

    from kibitz.core.attachments import AttachmentKind
    from kibitz.core.attachments.reading import attachment_from_bytes, pasted_image_name

    if sys.stdin is None or sys.stdin.isatty():
        raise AttachmentError(
            "stdin is a terminal",
            headline="--attach - reads what is piped in, and nothing is",
            hint="Pipe an image or file in, for example: "
            'xclip -selection clipboard -t image/png -o | kibitz ask -a - "What is this?"',
        )
    data = sys.stdin.buffer.read()
    attachment = attachment_from_bytes(data, "stdin")
    if attachment.kind is AttachmentKind.IMAGE:
        stem = pasted_image_name(()).rsplit(".", 1)[0]
        extension = attachment.mime_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        return dataclasses.replace(attachment, name=f"{stem}.{extension}")
    extension = "pdf" if attachment.mime_type == "application/pdf" else "txt"
    return dataclasses.replace(attachment, name=f"stdin.{extension}")


def _read_models(args: argparse.Namespace) -> bool:
    """-m once (or not at all): args.model, as always; two to four: args.compare, the models
    to ask at once. False (said why, in one line) for anything else."""
    models: list[str] = args.models or []
    args.model = models[0] if len(models) == 1 else None
    args.compare = models if len(models) > 1 else []
    if not args.compare:
        return True
    twice = next((m for i, m in enumerate(models) if m in models[:i]), None)
    if len(models) > MAX_COMPARED or twice is not None:
        why = f"{twice} is named twice" if twice else f"-m was given {len(models)} times"
        say(f"Compare asks {MIN_COMPARED} to {MAX_COMPARED} different models ({why}).")
        return False
    if args.tools:
        say("--tools works with one model: leave out the other -m.")
        return False
    return True


def run(context: CliContext, args: argparse.Namespace) -> int:
    if not _read_models(args):
        return EXIT_USAGE
    if args.json and args.tools:
        say("--json does not go with --tools: tool calls are asked about on the terminal.")
        return EXIT_USAGE
    prompt = _read_prompt(args)
    try:
        attachments = _read_attachments(args.attach)
    except AttachmentError as error:
        say(*error.lines())
        return EXIT_USAGE
    if not prompt and not attachments:
        say("Nothing to ask.", 'Give the question as arguments (kibitz ask "...") or on stdin.')
        return EXIT_USAGE
    if not _read_json_schema(args):
        return EXIT_USAGE
    if args.approve and not args.tools:
        say("--approve needs --tools.", "Add --tools to offer the tools of your MCP servers.")
        return EXIT_USAGE
    if args.tools and not any(s.enabled for s in context.settings.tools.servers):
        say(
            "--tools: no MCP server is enabled.",
            "Add one with `kibitz mcp add NAME -- COMMAND` or `kibitz mcp import FILE`.",
        )
        return EXIT_USAGE
    if args.provider is not None:
        try:
            effective_provider(context.settings, name=args.provider)
        except ConfigError as error:
            say(*error.lines())
            return EXIT_USAGE
    secrets = KeyringSecretStore()
    engine = ConversationEngine(context.store, lambda: context.settings, secrets)
    # --no-stream asks for the whole reply in one response (for servers or proxies that
    # mishandle SSE); stall detection then gives way to the request timeout.
    options = dataclasses.replace(turn_options(context.settings), stream=not args.no_stream)
    if args.dry_run:
        from kibitz.cli.dry_run import print_request

        return print_request(
            engine, args, prompt, attachments, options, _cli_params(args), models=args.compare
        )
    try:
        # Before a new conversation is made for a message that could not go.
        engine.check_attachments(
            prompt,
            attachments,
            conversation_id=args.conversation,
            overrides=_cli_params(args),
            options=options,
        )
    except AttachmentError as error:
        say(*error.lines())
        return EXIT_USAGE
    conversation = _conversation(engine, args, prompt or attachments[0].name)
    if args.compare or args.json:
        return _ask_at_once(context, engine, args, conversation, prompt, attachments, options)
    # The question is committed before anything can fail on the network or the keyring.
    turn = engine.send(
        conversation.id,
        prompt,
        attachments=attachments,
        overrides=_cli_params(args),
        options=options,
    )
    hub = None
    if args.tools:
        from kibitz.cli.ask_tools import tool_use

        hub, use = tool_use(context.settings, secrets, args.approve)
        turn.with_tools(use)
    # Folded into the hint line: the contract is one or two lines per failure.
    saved = f"Your question is saved in conversation {conversation.id}."
    # With tools, a pipe gets the final reply only: held until its request ends without calls.
    streaming = not args.no_stream and not (args.tools and not sys.stdout.isatty())
    printer = _Printer(stream=streaming, reasoning=args.show_reasoning)
    try:
        failure = asyncio.run(_stream(engine, turn, printer, hub))
    except KeyboardInterrupt:
        printer.end()
        kept = "the partial reply was kept" if printer.text(0) else "no reply had arrived yet"
        say(f"Stopped; {kept}.", saved)
        return EXIT_INTERRUPTED
    printer.end()
    if failure is not None:
        return _fail(failure, saved, context, conversation.provider)
    return _finish_notes(printer, conversation, saved)


def _ask_at_once(
    context: CliContext,
    engine: ConversationEngine,
    args: argparse.Namespace,
    conversation: Conversation,
    prompt: str,
    attachments: list[Attachment],
    options: TurnOptions,
) -> int:
    """Several models (kibitz.cli.compare), or one for --json."""
    from kibitz.cli.compare import Column, run_columns

    overrides = _cli_params(args)
    if args.compare:
        choices = [ModelChoice(model, args.provider) for model in args.compare]
        turns = engine.compare(
            conversation.id,
            prompt,
            choices,
            attachments=attachments,
            overrides=overrides,
            options=options,
        )
    else:
        turns = [
            engine.send(
                conversation.id,
                prompt,
                attachments=attachments,
                overrides=overrides,
                options=options,
            )
        ]
    columns = []
    for turn in turns:
        model = engine.params_for(conversation, turn.overrides).model or "the default model"
        profile = turn.provider or conversation.provider
        try:
            provider = effective_provider(context.settings, name=profile).name
        except ConfigError:  # a profile since removed: the turn itself will say so
            provider = profile or "?"
        columns.append(Column(model, provider))
    return run_columns(
        engine,
        conversation,
        turns,
        columns,
        as_json=args.json,
        show_reasoning=args.show_reasoning,
        failure_lines=lambda error: _failure_lines(error, context, conversation.provider),
    )
