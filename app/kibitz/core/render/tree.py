"""python-markdown's element tree, reworked for safety and for Qt before it is serialised.

Links keep only web and mail targets; images become links (never `<img>`: nothing is fetched);
bare web addresses become links; quotes get a bar and tables rules, as Qt draws neither from
the plain tags; task-list markers become boxes. Runs after inline parsing.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from kibitz.core.render.sanitize import safe_href, short_url
from kibitz.core.render.theme import RenderTheme

_IMAGE_MARK = "\U0001f5bc"  # framed picture
_TASKS = {"[ ] ": "\u2610 ", "[x] ": "\u2611 ", "[X] ": "\u2611 "}
# A bare web address; python-markdown's placeholders (\x02...\x03), formula markers (\ue000,
# math_html.py) and markup end it.
_BARE_URL_RE = re.compile(r"(?<![\w/@])https?://[^\s<>\"'`\x02\x03\ue000]+", re.IGNORECASE)
_TRAILING = ".,;:!?*'\"_"
_NO_LINKIFY = frozenset({"a", "code", "pre"})
# Qt gives tables no margin: without one a table touches the paragraph above it.
_TABLE_MARGINS = "margin-top: 6px; margin-bottom: 6px"


def _trim_url(url: str) -> str:
    """`url` without the sentence punctuation (or closing bracket) that followed it."""
    while url:
        last = url[-1]
        unbalanced = (last == ")" and url.count("(") < url.count(")")) or (
            last == "]" and url.count("[") < url.count("]")
        )
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _unobfuscate(href: str) -> str:
    # python-markdown writes <user@host> links as character references behind placeholders.
    from markdown.util import AMP_SUBSTITUTE  # markdown is loaded: it is calling us

    if AMP_SUBSTITUTE not in href:
        return href
    return html.unescape(href.replace(AMP_SUBSTITUTE, "&"))


class TreeDecorator:
    """The tree pass (python-markdown calls `run` with the document's root element)."""

    def __init__(self, theme: RenderTheme) -> None:
        self._theme = theme

    def run(self, root: ET.Element) -> None:
        self._walk(root, in_link=False, plain=False)

    def _walk(self, parent: ET.Element, in_link: bool, plain: bool) -> None:
        if not plain and not in_link:
            self._linkify(parent)
        for el in list(parent):
            tag = el.tag
            if tag == "img":
                self._image(el, in_link)
            elif tag == "a":
                self._link(el, in_link)
            elif tag == "blockquote":
                self._quote(el)
            elif tag == "li":
                self._task(el)
            else:
                self._style(el, parent)
            self._walk(el, in_link or el.tag == "a", plain or tag in _NO_LINKIFY)

    def _link(self, el: ET.Element, in_link: bool) -> None:
        href = safe_href(_unobfuscate(el.get("href", "")))
        el.attrib.clear()
        if href is None or in_link:
            el.tag = "span"
            return
        el.set("href", href)
        if self._theme.link:
            el.set("style", f"color: {self._theme.link}")

    def _image(self, el: ET.Element, in_link: bool) -> None:
        src = el.get("src", "")
        alt = (el.get("alt") or "").strip() or "image"
        href = safe_href(src)
        el.attrib.clear()
        if href is not None and not in_link:
            el.tag = "a"
            el.set("href", href)
            el.text = f"{_IMAGE_MARK} {alt} (image: {short_url(href)})"
        else:
            el.tag = "span"
            shown = short_url(src) if src and href is not None else "not shown"
            el.text = f"{_IMAGE_MARK} {alt} (image: {shown})"
            el.set("style", f"color: {self._theme.muted_text}")

    def _linkify(self, parent: ET.Element) -> None:
        """Bare web addresses in `parent`'s own text and its children's tails become links."""
        if parent.text and "://" in parent.text:
            before, links = self._split_links(parent.text)
            parent.text = before
            for i, a in enumerate(links):
                parent.insert(i, a)
        for child in list(parent):
            if child.tail and "://" in child.tail:
                before, links = self._split_links(child.tail)
                child.tail = before
                at = list(parent).index(child) + 1
                for i, a in enumerate(links):
                    parent.insert(at + i, a)

    def _split_links(self, text: str) -> tuple[str, list[ET.Element]]:
        """The text before the first address, and a link per address (the text after as tail)."""
        links: list[ET.Element] = []
        before = text
        pos = 0
        for m in _BARE_URL_RE.finditer(text):
            if m.start() < pos:
                continue
            url = _trim_url(m.group())
            href = safe_href(url)
            if href is None:
                continue
            a = ET.Element("a", {"href": href})
            if self._theme.link:
                a.set("style", f"color: {self._theme.link}")
            a.text = url
            if links:
                links[-1].tail = text[pos : m.start()]
            else:
                before = text[: m.start()]
            links.append(a)
            pos = m.start() + len(url)
        if links:
            links[-1].tail = text[pos:]
        return before, links

    def _quote(self, el: ET.Element) -> None:
        # Qt only indents a <blockquote>: a two-cell table draws the bar beside the text.
        children = list(el)
        text, tail = el.text, el.tail
        el.clear()
        el.tail = tail
        el.tag = "table"
        el.set("cellspacing", "0")
        el.set("cellpadding", "0")
        el.set("style", _TABLE_MARGINS)
        row = ET.SubElement(el, "tr")
        ET.SubElement(
            row, "td", {"width": "3", "style": f"background-color: {self._theme.quote_bar}"}
        )
        body = ET.SubElement(
            row, "td", {"style": f"padding-left: 10px; color: {self._theme.quote_text}"}
        )
        body.text = text
        body.extend(children)

    def _task(self, el: ET.Element) -> None:
        # "- [ ] todo" / "- [x] done": the item's text, or its first paragraph's in a loose list.
        target = el[0] if len(el) and el[0].tag == "p" and not (el.text or "").strip() else el
        for marker, box in _TASKS.items():
            if target.text and target.text.startswith(marker):
                target.text = box + target.text[len(marker) :]
                return

    def _style(self, el: ET.Element, parent: ET.Element) -> None:
        t = self._theme
        tag = el.tag
        if tag == "code" and parent.tag != "pre":
            el.set("style", f"background-color: {t.inline_code_background}")
        elif tag == "pre":
            el.set("style", f"background-color: {t.code_background}")
        elif tag == "table":
            el.set("border", "1")
            el.set("cellspacing", "0")
            el.set("cellpadding", "6")
            el.set(
                "style",
                f"border-collapse: collapse; border-color: {t.table_border}; {_TABLE_MARGINS}",
            )
        elif tag == "th":
            el.set(
                "style",
                f"background-color: {t.table_header_background}; {_cell_rules(t.table_border)}",
            )
            if "align" not in el.attrib:
                el.set("align", "left")  # Qt centres header cells; the body's are left
        elif tag == "td" and "style" not in el.attrib:  # quote cells come styled already
            el.set("style", _cell_rules(t.table_border))


def _cell_rules(colour: str) -> str:
    # With border-collapse, Qt draws only the edges each cell asks for: give every cell all four.
    return f"border-width: 1px; border-style: solid; border-color: {colour}"
