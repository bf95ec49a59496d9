"""Formulas through python-markdown untouched: stashed before parsing, images after it.

Each formula is replaced by a marker before Markdown sees the text, so no `_`, `*` or `\\\\`
inside TeX is read as Markdown and no line of a multi-line formula becomes a list item or a
heading. After inline parsing the tree pass puts an `<img>` with the formula's `kibitz-math:`
URL where each marker is (the view draws it). A display formula gets a centred paragraph of
its own: the paragraph around it is split into the text before and the text after it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kibitz.core.render.math_spans import MathSpan, TextSpan, math_url, split_math

# Private-use characters around a number: no Markdown syntax in them, nothing strips them (as
# python-markdown strips its own placeholders' STX and ETX from the source), and the
# bare-address linkifier (tree.py) stops at them.
MARKER_START = "\ue000"
_MARKER = MARKER_START + "kbzmath{}\ue001"
_MARKER_RE = re.compile("\ue000kbzmath(\\d+)\ue001")
# Where a display formula stands apart: in a paragraph it splits it, in these it becomes a
# centred paragraph inside them. Anywhere else (a heading, emphasis, a link) it stays inline.
_BLOCK_HOSTS = frozenset({"li", "td", "th"})
_AS_TEXT = frozenset({"code", "pre"})  # an indented code block shows the formula as written


def may_hold_math(text: str) -> bool:
    """Cheap test first: every delimiter has a dollar or a backslash."""
    return "$" in text or "\\" in text


def stash_math(text: str) -> tuple[str, list[MathSpan]]:
    """`text` with each formula replaced by a marker, and the formulas in marker order."""
    formulas: list[MathSpan] = []
    parts: list[str] = []
    for span in split_math(text):
        if isinstance(span, TextSpan):
            parts.append(span.text)
        else:
            parts.append(_MARKER.format(len(formulas)))
            formulas.append(span)
    return "".join(parts), formulas


def _image(span: MathSpan) -> ET.Element:
    return ET.Element("img", {"src": math_url(span), "align": "middle", "alt": span.raw})


class MathTreeprocessor:
    """The tree pass that turns markers into formula images (python-markdown calls `run`).

    `formulas` is set before each conversion: the spans `stash_math` took out, by number.
    """

    def __init__(self) -> None:
        self.formulas: list[MathSpan] = []

    def run(self, root: ET.Element) -> None:
        if not self.formulas:
            return
        hosts: list[ET.Element] = []  # elements whose own text or children's tails hold markers
        seen: set[int] = set()
        parents: dict[ET.Element, ET.Element] = {}
        for parent in root.iter():
            if parent.text and MARKER_START in parent.text and id(parent) not in seen:
                seen.add(id(parent))
                hosts.append(parent)
            for child in parent:
                parents[child] = parent
                if child.tail and MARKER_START in child.tail and id(parent) not in seen:
                    seen.add(id(parent))
                    hosts.append(parent)
        for host in hosts:
            self._fill(host, parents.get(host))
        self.formulas = []

    def _span(self, number: str) -> MathSpan | None:
        i = int(number)
        return self.formulas[i] if i < len(self.formulas) else None

    def _nodes(self, host: ET.Element) -> list[str | ET.Element | MathSpan]:
        """`host`'s content in order: text, child elements (tails split off) and formulas."""
        nodes: list[str | ET.Element | MathSpan] = []
        pieces: list[tuple[str | None, ET.Element | None]] = [(host.text, None)]
        pieces.extend((child.tail, child) for child in host)
        for text, child in pieces:
            if child is not None:
                child.tail = None
                nodes.append(child)
            if not text:
                continue
            pos = 0
            for m in _MARKER_RE.finditer(text):
                span = self._span(m.group(1))
                if span is None:
                    continue
                nodes.append(text[pos : m.start()])
                nodes.append(span)
                pos = m.end()
            nodes.append(text[pos:])
        return [node for node in nodes if not isinstance(node, str) or node]

    def _fill(self, host: ET.Element, parent: ET.Element | None) -> None:
        nodes = self._nodes(host)
        tag = host.tag
        if tag in _AS_TEXT:
            _refill(host, [n.raw if isinstance(n, MathSpan) else n for n in nodes])
            return
        has_display = any(isinstance(n, MathSpan) and n.display for n in nodes)
        if not has_display or (tag != "p" and tag not in _BLOCK_HOSTS):
            _refill(host, [_image(n) if isinstance(n, MathSpan) else n for n in nodes])
            return
        # Runs of inline content between display formulas.
        pieces: list[list[str | ET.Element] | MathSpan] = [[]]
        for node in nodes:
            if isinstance(node, MathSpan) and node.display:
                pieces.append(node)
                pieces.append([])
            else:
                run = pieces[-1]
                assert isinstance(run, list)
                run.append(_image(node) if isinstance(node, MathSpan) else node)
        if tag == "p" and parent is not None:
            self._split_paragraph(host, parent, pieces)
        else:
            out: list[str | ET.Element] = []
            for piece in pieces:
                if isinstance(piece, MathSpan):
                    out.append(_display_paragraph(piece))
                else:
                    out.extend(_trimmed(piece))
            _refill(host, out)

    def _split_paragraph(
        self,
        paragraph: ET.Element,
        parent: ET.Element,
        pieces: list[list[str | ET.Element] | MathSpan],
    ) -> None:
        replacement: list[ET.Element] = []
        for piece in pieces:
            if isinstance(piece, MathSpan):
                replacement.append(_display_paragraph(piece))
                continue
            content = _trimmed(piece)
            if content:
                p = ET.Element("p", dict(paragraph.attrib))
                _refill(p, content)
                replacement.append(p)
        tail = paragraph.tail
        at = list(parent).index(paragraph)
        parent.remove(paragraph)
        for offset, element in enumerate(replacement):
            parent.insert(at + offset, element)
        if replacement:
            replacement[-1].tail = tail


def _display_paragraph(span: MathSpan) -> ET.Element:
    p = ET.Element("p", {"align": "center"})
    p.append(_image(span))
    return p


def _trimmed(run: list[str | ET.Element]) -> list[str | ET.Element]:
    """`run` without the spaces and line breaks at either end (they were around a formula)."""
    run = list(run)
    while run:
        first = run[0]
        if isinstance(first, str):
            if first.strip():
                run[0] = first.lstrip()
                break
            run.pop(0)
        elif first.tag == "br":
            run.pop(0)
        else:
            break
    while run:
        last = run[-1]
        if isinstance(last, str):
            if last.strip():
                run[-1] = last.rstrip()
                break
            run.pop()
        elif last.tag == "br":
            run.pop()
        else:
            break
    return run


def _refill(host: ET.Element, nodes: list[str | ET.Element]) -> None:
    """Give `host` the content `nodes`: leading text, then each element with the text after it."""
    for child in list(host):
        host.remove(child)
    host.text = None
    last: ET.Element | None = None
    for node in nodes:
        if isinstance(node, str):
            if last is None:
                host.text = (host.text or "") + node
            else:
                last.tail = (last.tail or "") + node
        else:
            host.append(node)
            last = node
