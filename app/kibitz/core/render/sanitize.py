"""The sanitizing policy: which tags, attributes, styles and link targets rendered HTML may hold.

Model output is untrusted (a prompt-injected reply may try to exfiltrate data through an image
URL), so every fragment made from it goes through nh3 with an allow-list of exactly what our
Markdown and code rendering produce; only our own fixed wrapper around code blocks does not.
No `style` element, no `class`, no event handler survives, and a link keeps its target only
for http, https and mailto. The one `img` that survives is a formula's: `src` in the
`kibitz-math:` scheme (the view draws it from the TeX in the URL; nothing is fetched), with
only `align` and `alt`; any other image (http, data, file, javascript...) is removed whole.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from kibitz.core.render.math_spans import MATH_SCHEME

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "del", "s", "sub", "sup", "code", "pre", "span", "a",
        "ul", "ol", "li", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
_CELL = {"align", "style", "width"}
_ATTRIBUTES = {
    "a": {"href", "style"},
    "ol": {"start"},
    "table": {"border", "cellspacing", "cellpadding", "width", "style"},
    "td": _CELL,
    "th": _CELL,
    "span": {"style"},
    "code": {"style"},
    "pre": {"style"},
    "p": {"style", "align"},
    "blockquote": {"style"},
}
_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font-weight", "font-style", "font-family",
        "text-decoration", "white-space", "border-collapse", "border-color", "border-style",
        "border-width", "margin-top", "margin-bottom", "margin-left", "padding-left",
    }
)  # fmt: skip


_MATH_IMG_ATTRIBUTES = {**_ATTRIBUTES, "img": {"src", "align", "alt"}}
_MATH_SRC_PREFIX = MATH_SCHEME + ":"
# nh3's output quotes every attribute and writes "<" and ">" in values as references, so a
# tag ends at the first ">". An img left without a src (it had someone else's) goes whole.
_IMG_WITHOUT_MATH_SRC_RE = re.compile(r'<img(?![^>]*\ssrc="kibitz-math:)[^>]*>')


def _math_src_only(element: str, attribute: str, value: str) -> str | None:
    """An img's src only in our scheme, and our scheme nowhere else (a link keeps web ones)."""
    if attribute in ("src", "href") and (element == "img") != value.startswith(_MATH_SRC_PREFIX):
        return None
    return value


def sanitize(fragment: str) -> str:
    """`fragment` reduced to the allow-list; text is kept, anything else is dropped."""
    import nh3  # ~1 ms, but nothing on the first frame needs it

    if "<img" not in fragment:  # the common case, and the policy before formulas existed
        return str(
            nh3.clean(
                fragment,
                tags=set(_TAGS),
                clean_content_tags={"script", "style"},
                attributes=_ATTRIBUTES,
                url_schemes=set(ALLOWED_SCHEMES),
                link_rel=None,
                strip_comments=True,
                filter_style_properties=set(_STYLE_PROPERTIES),
            )
        )
    cleaned = str(
        nh3.clean(
            fragment,
            tags=set(_TAGS) | {"img"},
            clean_content_tags={"script", "style"},
            attributes=_MATH_IMG_ATTRIBUTES,
            attribute_filter=_math_src_only,
            url_schemes=set(ALLOWED_SCHEMES) | {MATH_SCHEME},
            link_rel=None,
            strip_comments=True,
            filter_style_properties=set(_STYLE_PROPERTIES),
        )
    )
    return _IMG_WITHOUT_MATH_SRC_RE.sub("", cleaned)


def safe_href(url: str) -> str | None:
    """`url` if a click may open it (http and https with a host, or mailto), else None."""
    url = url.strip()
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return None
    if scheme == "mailto":
        return url if len(url) > len("mailto:") else None
    return url if parts.netloc else None


def short_url(url: str, limit: int = 60) -> str:
    """`url` without its scheme, cut to `limit` characters, for showing in text."""
    shown = url.split("://", 1)[1] if "://" in url else url
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def escape(text: str) -> str:
    """`text` as HTML text (quotes too: it may end up inside an attribute)."""
    return html.escape(text, quote=True)
