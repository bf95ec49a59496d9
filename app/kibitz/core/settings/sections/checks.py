"""Value checks more than one section uses: URLs and HTTP header names."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def check_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an http(s) URL"
    return None
