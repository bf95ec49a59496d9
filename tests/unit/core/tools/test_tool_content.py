"""SDK tools and results in Kibitz's terms, built from the SDK's own types."""

from __future__ import annotations

import base64

from mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    Tool,
    ToolAnnotations,
)

from kibitz.core.tools import RESULT_LIMIT_CHARS, ToolImage
from kibitz.core.tools.mcp.content import cap_text, tool_output, tool_spec

SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}


def test_a_listed_tool_keeps_its_schema_description_and_title() -> None:
    tool = Tool(name="read_file", description="Read a file", input_schema=SCHEMA, title="Read")
    spec = tool_spec("files", tool)
    assert (spec.server, spec.name, spec.function) == ("files", "read_file", "read_file")
    assert spec.description == "Read a file"
    assert spec.title == "Read"
    assert dict(spec.input_schema) == SCHEMA
    assert spec.as_openai_tool()["function"]["parameters"] == SCHEMA


def test_hints_count_only_when_explicitly_true() -> None:
    bare = tool_spec("s", Tool(name="t", input_schema={"type": "object"}))
    assert (bare.read_only, bare.destructive) == (False, False)
    hinted = tool_spec(
        "s",
        Tool(
            name="t",
            input_schema={"type": "object"},
            annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, title="Look"),
        ),
    )
    assert (hinted.read_only, hinted.destructive, hinted.title) == (True, False, "Look")
    destructive = tool_spec(
        "s",
        Tool(
            name="t",
            input_schema={"type": "object"},
            annotations=ToolAnnotations(destructive_hint=True),
        ),
    )
    assert destructive.destructive


def test_text_blocks_are_joined_and_is_error_is_kept() -> None:
    result = CallToolResult(
        content=[TextContent(text="first"), TextContent(text="second")], is_error=True
    )
    output = tool_output(result)
    assert output.text == "first\nsecond"
    assert output.is_error


def test_images_become_image_bytes_and_other_content_is_described() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    result = CallToolResult(
        content=[
            ImageContent(data=base64.b64encode(png).decode(), mime_type="image/png"),
            ImageContent(data="not base64!", mime_type="image/png"),
            AudioContent(data=base64.b64encode(b"x" * 300).decode(), mime_type="audio/wav"),
            EmbeddedResource(resource=TextResourceContents(uri="file:///a.txt", text="hello")),
            EmbeddedResource(
                resource=BlobResourceContents(
                    uri="file:///a.bin", blob=base64.b64encode(b"\0" * 30).decode()
                )
            ),
            ResourceLink(name="a.txt", uri="https://example.com/a.txt", description="a file"),
        ]
    )
    output = tool_output(result)
    assert output.images == (ToolImage("image/png", png),)
    assert output.text.splitlines() == [
        "[an image (image/png) that could not be decoded]",
        "[audio (audio/wav), 300 bytes, not shown]",
        "[resource file:///a.txt]",
        "hello",
        "[resource file:///a.bin (binary data), 30 bytes, not shown]",
        "[link to resource a.txt <https://example.com/a.txt>: a file]",
    ]


def test_structured_content_alone_is_given_as_json() -> None:
    output = tool_output(CallToolResult(content=[], structured_content={"n": 3}))
    assert output.text == '{\n  "n": 3\n}'


def test_a_result_over_the_limit_is_cut_with_a_note() -> None:
    text = "x" * (RESULT_LIMIT_CHARS + 5_000)
    cut = tool_output(CallToolResult(content=[TextContent(text=text)])).text
    assert cut.startswith("x" * RESULT_LIMIT_CHARS + "\n\n[Kibitz cut this tool result")
    assert f"it had {RESULT_LIMIT_CHARS + 5_000:,} characters" in cut
    assert len(cut) < RESULT_LIMIT_CHARS + 200
    assert cap_text("short") == "short"
