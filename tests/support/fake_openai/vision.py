"""What the fake server makes of images: it decodes each `data:` URL it is sent, so tests see
that the bytes arrived whole, and answers text-only models as real servers do."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

from . import wire


@dataclass(frozen=True, slots=True)
class SeenImage:
    mime_type: str
    width: int
    height: int
    size: int  # bytes after base64 decoding
    detail: str | None


def images_in(body: dict[str, Any]) -> list[SeenImage]:
    """Every image_url part of the request, decoded; a malformed one raises ValueError."""
    from PIL import Image

    seen: list[SeenImage] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "image_url":
                continue
            image = part.get("image_url") or {}
            url = str(image.get("url", ""))
            head, _, payload = url.partition(",")
            if not head.startswith("data:") or not head.endswith(";base64"):
                raise ValueError(f"not a base64 data URL: {url[:40]!r}")
            try:
                data = base64.b64decode(payload, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"bad base64 in an image: {exc}") from exc
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
            seen.append(SeenImage(head[5:-7], width, height, len(data), image.get("detail")))
    return seen


def describe(images: list[SeenImage]) -> str:
    """The fake vision model's answer: what it was shown."""
    shown = ", ".join(f"{i.mime_type} {i.width}x{i.height}" for i in images)
    return f"I see {len(images)} image{'s' if len(images) != 1 else ''}: {shown}."


# How real servers refuse images for a model that takes none (their wordings, see
# app/kibitz/core/chat/error_mapping.py for the sources).
def refusal(dialect: str = "openai") -> tuple[int, dict[str, Any]]:
    if dialect == "llama.cpp":
        return 500, wire.llamacpp_error(
            500,
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj",
            "server_error",
        )
    if dialect == "ollama":
        return 400, wire.openai_error(
            "this model does not support image input", "invalid_request_error", None
        )
    if dialect == "vllm":
        return 400, {
            "object": "error",
            "message": "{model} is not a multimodal model",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    return 400, wire.openai_error(
        "Invalid content type. image_url is only supported by certain models.",
        "invalid_request_error",
        None,
        "messages.[1].content.[1].type",
    )
