"""What the SDK returns, in Kibitz's terms: a listed tool as a ToolSpec, a result as ToolOutput.

Tool results are untrusted: they are turned into plain text and image bytes here and nothing
they name (a link, a resource) is fetched.
"""

from __future__ import annotations

import base64
import binascii
import json
from types import MappingProxyType
from typing import TYPE_CHECKING

from kibitz.core.tools import RESULT_LIMIT_CHARS, ToolImage, ToolOutput, ToolSpec

if TYPE_CHECKING:
    from mcp_types import CallToolResult, ContentBlock, Tool


def tool_spec(server: str, tool: Tool) -> ToolSpec:
    """A listed tool; its `function` is its own name until the hub names all tools together."""
    hints = tool.annotations
    return ToolSpec(
        server=server,
        name=tool.name,
        function=tool.name,
        description=tool.description or "",
        input_schema=MappingProxyType(dict(tool.input_schema)),
        title=tool.title or (hints.title if hints is not None else None),
        # Only an explicit True counts: MCP's defaults (destructive unless said otherwise)
        # would otherwise make every tool look dangerous.
        read_only=hints is not None and hints.read_only_hint is True,
        destructive=hints is not None and hints.destructive_hint is True,
    )


def tool_output(result: CallToolResult, limit: int = RESULT_LIMIT_CHARS) -> ToolOutput:
    """Text blocks joined, images decoded, other content described; the text capped at `limit`."""
    texts: list[str] = []
    images: list[ToolImage] = []
    for block in result.content:
        image = _image(block)
        if image is not None:
            images.append(image)
        else:
            texts.append(_describe(block))
    if not result.content and result.structured_content is not None:
        texts.append(json.dumps(result.structured_content, ensure_ascii=False, indent=2))
    return ToolOutput(cap_text("\n".join(texts), limit), tuple(images), is_error=result.is_error)


def cap_text(text: str, limit: int = RESULT_LIMIT_CHARS) -> str:
    """`text`, or its first `limit` characters and a note saying how much was cut."""
    if len(text) <= limit:
        return text
    return (
        f"{text[:limit]}\n\n[Kibitz cut this tool result: it had {len(text):,} characters; "
        f"only the first {limit:,} are shown.]"
    )


def _image(block: ContentBlock) -> ToolImage | None:
    from mcp_types import ImageContent

    if not isinstance(block, ImageContent):
        return None
    try:
        data = base64.b64decode(block.data, validate=True)
    except (binascii.Error, ValueError):
        return None  # described as text instead
    return ToolImage(block.mime_type, data)


def _describe(block: ContentBlock) -> str:
    from mcp_types import (
        AudioContent,
        BlobResourceContents,
        EmbeddedResource,
        ImageContent,
        TextContent,
    )

    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ImageContent):
        return f"[an image ({block.mime_type}) that could not be decoded]"
    if isinstance(block, AudioContent):
        return f"[audio ({block.mime_type}), {_size(block.data)}, not shown]"
    if isinstance(block, EmbeddedResource):
        resource = block.resource
        if isinstance(resource, BlobResourceContents):
            kind = resource.mime_type or "binary data"
            return f"[resource {resource.uri} ({kind}), {_size(resource.blob)}, not shown]"
        return f"[resource {resource.uri}]\n{resource.text}"
    # What is left is a ResourceLink (the SDK validated the result against the closed union).
    about = f": {block.description}" if block.description else ""
    return f"[link to resource {block.name} <{block.uri}>{about}]"


def _size(b64: str) -> str:
    return f"{len(b64) * 3 // 4:,} bytes"
