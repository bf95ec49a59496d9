"""`kibitz ask --dry-run`: the request that would be sent, printed, with nothing sent or stored.

stdout gets the JSON body exactly as it would go (pipe it to jq, or to curl); stderr says where
it would go, what trimming left out, and where each parameter comes from. No key is read. With
several -m (compare), stdout gets a JSON array of the bodies, one per model in the order given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from kibitz.cli.commands import EXIT_OK, EXIT_USAGE, say
from kibitz.core.attachments import Attachment
from kibitz.core.chat.structured_output import format_name
from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.conversation.preview import RequestPreview, preview_request
from kibitz.core.errors import KibitzError
from kibitz.core.types import RequestParams


def print_request(
    engine: ConversationEngine,
    args: argparse.Namespace,
    prompt: str,
    attachments: Sequence[Attachment],
    options: TurnOptions,
    overrides: RequestParams,
    *,
    models: Sequence[str] = (),
) -> int:
    """The body for `overrides` (the flags, as a send would take them), or with `models`
    (compare) one for each model."""
    previews = []
    wanted: Sequence[str | None] = models or [overrides.model]
    for model in wanted:
        try:
            preview = preview_request(
                engine,
                prompt,
                conversation_id=args.conversation,
                attachments=attachments,
                overrides=dataclasses.replace(overrides, model=model),
                options=options,
                provider=args.provider,
                system_prompt=args.system,
                use_default_prompt=args.system is None,
            )
        except KibitzError as error:
            say(*error.lines())
            return EXIT_USAGE
        previews.append(preview)
    bodies = [p.body for p in previews] if models else previews[0].body
    sys.stdout.write(json.dumps(bodies, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    for number, preview in enumerate(previews):
        if models:
            print(f"── {models[number]} ──", file=sys.stderr)
        for line in describe(preview, tools=bool(args.tools)):
            print(line, file=sys.stderr)
    return EXIT_OK


def describe(preview: RequestPreview, *, tools: bool = False) -> list[str]:
    """What goes to stderr: where, what was left out, and why each value is what it is."""
    prepared = preview.prepared
    lines = [f"Dry run: nothing was sent. Would POST to {preview.url} ({preview.provider})."]
    note = prepared.note().trimming_line()
    lines.append(f"{note}." if note else "Nothing was left out: the whole conversation fits.")
    lines.append(f"Estimated prompt tokens: {prepared.prompt_tokens:,}.")
    for source in preview.params:
        value = json.dumps(source.value)
        if source.name == "json_schema":  # the whole schema is in the body's response_format
            value = json.dumps(format_name(source.value))
        lines.append(f"  {source.name} = {value} ({source.source})")
    if preview.window is not None:
        window = preview.window
        lines.append(f"  {window.name} = {window.value:,} tokens ({window.source})")
    if tools:
        lines.append("Tools are not listed: a dry run starts no MCP server.")
    return lines
