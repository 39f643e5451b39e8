"""Article in, sentences out: the segmentation behind `python -m train.predict`.

A page is first cut into blocks, the units a reader sees apart (a paragraph, a heading, a menu
item, a credit line), then each block into sentences with pysbd. Furniture is kept on purpose:
`boilerplate` is one of our labels, so nothing here guesses what "the article" is.

- HTML: every visible text block in document order. Only script, style, noscript, template
  and head content is dropped, plus elements hidden with the `hidden` attribute or an inline
  `display: none` / `visibility: hidden`. `<br>` and `<hr>` end a block; `<pre>` keeps lines.
- Plain text: one block per line. Hard-wrapped text (many lines ending near one width of
  40-100 characters) is re-joined first, so a sentence that runs over a line break stays whole.
- Bytes: UTF-8 (invalid bytes become U+FFFD, with a note) or UTF-16 with a byte-order mark;
  a NUL byte or >10% control characters means binary input, refused with a message.

Limits, so that odd input costs a bounded time:
- a block of at most SHORT_LINE_CHARS (80) characters stays one sentence, as the corpus
  treats "Copyright 2024 KVRL. All rights reserved." (pysbd alone would split 121 of the
  corpus's short units, 89 of them boilerplate);
- pysbd is quadratic on blocks with many full stops, so blocks are handed to it in windows of
  at most PYSBD_MAX_CHARS characters and PYSBD_MAX_STOPS candidate sentence ends, cut at a
  full stop followed by a space;
- a sentence longer than MAX_SENTENCE_CHARS (1,000; the corpus's longest is under 300) is cut
  at a space into chunks of at most that length, each labelled on its own.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pysbd

SHORT_LINE_CHARS = 80
MAX_SENTENCE_CHARS = 1000
PYSBD_MAX_CHARS = 3000
PYSBD_MAX_STOPS = 60
SPLITTERS = ("pysbd", "lines")

DROP_TAGS = {"script", "style", "noscript", "template", "head", "title"}
HEAD_TAGS = {"title", "meta", "link", "style", "script", "noscript", "base", "template"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
             "source", "track", "wbr"}  # fmt: skip
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "button", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "html", "legend", "li", "main", "menu",
    "nav", "ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}  # fmt: skip

_SPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# A cheap sentence end for windowing: terminal punctuation, closing quotes, then a space.
_STOP = re.compile(r"[.!?…][\"'”’)\]]*\s+")
_LIST_MARK = re.compile(r"^([-*•·–]|\d{1,3}[.)])\s")
_BY_SUFFIX = {".html": "html", ".htm": "html", ".xhtml": "html", ".txt": "text", ".text": "text"}
_BY_SUFFIX |= {".jsonl": "jsonl", ".ndjson": "jsonl"}
_ODD = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")  # counted to spot binary input
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML_HINT = re.compile(r"<(!doctype\s+html|html|head|body|p|div|article|main|h[1-6]|br)\b", re.I)


class InputError(ValueError):
    """Input that cannot be labelled, phrased for the user (file, line, byte offset)."""


@dataclass(frozen=True)
class Block:
    text: str
    kind: str = "line"  # the HTML element that holds the text (p, h1, li...), or "line"


@dataclass(frozen=True)
class Sentence:
    text: str
    block: int  # index of the block it came from: the report renders blocks as paragraphs
    kind: str
    chunked: bool = False


# ---------------------------------------------------------------- bytes to text


def decode(data: bytes, name: str, notes: list[str]) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _CONTROL.sub(" ", data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            at = exc.start
            raise InputError(f"{name}: has a UTF-16 mark but is not UTF-16 at byte {at}") from None
    offset = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if (nul := data.find(b"\x00")) >= 0:
        raise InputError(
            f"{name}: looks like a binary file (NUL byte at byte offset {nul}); "
            "give plain text, HTML or JSON Lines"
        )
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start + offset
        line = data.count(b"\n", 0, at) + 1
        text = data[offset:].decode("utf-8", errors="replace")
        notes.append(
            f"{name}: invalid UTF-8 at byte offset {at} (line {line}); undecodable bytes "
            "were replaced with U+FFFD"
        )
    odd = len(_ODD.findall(text))
    if odd > 0.1 * len(text):
        raise InputError(
            f"{name}: does not look like text ({odd:,} of {len(text):,} characters are control "
            "characters or undecodable bytes)"
        )
    return _CONTROL.sub(" ", text)


def detect_format(name: str, text: str) -> str:
    if fmt := _BY_SUFFIX.get(Path(name).suffix.lower()):
        return fmt
    head = text.lstrip()[:4000]
    if head.startswith("{"):
        try:
            if isinstance(json.loads(head.split("\n", 1)[0]), dict):
                return "jsonl"
        except json.JSONDecodeError:
            pass
    return "html" if _HTML_HINT.search(head) else "text"


# ---------------------------------------------------------------- HTML


class _BlockParser(HTMLParser):
    """Streams the page: no tree and no recursion, and every step is O(1) in the nesting
    depth, so deep or broken markup costs linear time."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, dropped)
        self.open: dict[str, int] = {}  # tag -> how many are open
        self.block_stack: list[str] = []  # the open block-level tags, innermost last
        self.dropped = 0  # open elements whose content is not shown
        self.buf: list[str] = []
        self.kind = ""

    def _close(self, tag: str) -> None:
        while self.stack:
            name, dropped = self.stack.pop()
            self.open[name] -= 1
            self.dropped -= dropped
            if name in BLOCK_TAGS:
                self.block_stack.pop()
            if name == tag:
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Browsers end <head> at the first element that cannot live there, </head> or not.
        if tag not in HEAD_TAGS and self.open.get("head"):
            self._close("head")
        if tag in VOID_TAGS:
            if tag in ("br", "hr"):
                self.flush()
            return
        attr = dict(attrs)
        dropped = (
            tag in DROP_TAGS
            or "hidden" in attr
            or bool(_HIDDEN_STYLE.search(attr.get("style") or ""))
        )
        if tag in BLOCK_TAGS:
            self.flush()
            self.block_stack.append(tag)
        self.stack.append((tag, dropped))
        self.open[tag] = self.open.get(tag, 0) + 1
        self.dropped += dropped

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or not self.open.get(tag):
            return
        self._close(tag)
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        lines = data.split("\n") if self.open.get("pre") else [data]
        for i, line in enumerate(lines):
            if i:
                self.flush()
            if not self.buf and line.strip():
                self.kind = self.block_stack[-1] if self.block_stack else "p"
            if self.buf or line.strip():
                self.buf.append(line)

    def flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self.buf)).strip()
        if text:
            self.blocks.append(Block(text, self.kind))
        self.buf = []


def html_blocks(html: str) -> list[Block]:
    parser = _BlockParser()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.blocks


# ---------------------------------------------------------------- plain text


def _looks_wrapped(lines: list[str], width: int) -> bool:
    """Hard-wrapped text: many lines end close to one width between 40 and 100 characters."""
    filled = [line for line in lines if line]
    if not 40 <= width <= 100 or len(filled) < 3:
        return False
    near_width = sum(len(line) >= 0.8 * width for line in filled)
    return near_width >= 3 and near_width >= 0.3 * len(filled)


def text_blocks(text: str) -> list[Block]:
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    width = max((len(line) for line in lines), default=0)
    wrapped = _looks_wrapped(lines, width)
    blocks: list[list[str]] = []
    previous = ""
    for line in lines:
        if not line:
            previous = ""
            continue
        # A line was wrapped when the next line's first word would not have fitted on it.
        fits = len(previous) + 1 + len(line.split(" ", 1)[0]) <= width
        if wrapped and previous and not fits and not _LIST_MARK.match(line):
            blocks[-1].append(line)
        else:
            blocks.append([line])
        previous = line
    return [Block(" ".join(parts)) for parts in blocks]


# ---------------------------------------------------------------- sentences


def _windows(text: str) -> Iterator[str]:
    """Cut a long block at cheap sentence ends into pieces pysbd handles in bounded time."""
    start, stops, cut = 0, 0, 0
    for match in _STOP.finditer(text):
        end = match.end()
        if stops and (end - start > PYSBD_MAX_CHARS or stops >= PYSBD_MAX_STOPS):
            yield text[start:cut]
            start, stops = cut, 0
        stops, cut = stops + 1, end
    if len(text) - start > PYSBD_MAX_CHARS and start < cut:
        yield text[start:cut]
        start = cut
    yield text[start:]


def _chunks(text: str) -> Iterator[str]:
    """Over-long sentences: pieces of at most MAX_SENTENCE_CHARS, cut at a space if one is near."""
    while len(text) > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", 0, MAX_SENTENCE_CHARS + 1)
        if cut < MAX_SENTENCE_CHARS // 2:
            cut = MAX_SENTENCE_CHARS
        yield text[:cut].strip()
        text = text[cut:].strip()
    if text:
        yield text


def split_block(text: str, segmenter: pysbd.Segmenter | None) -> list[str]:
    """One block into sentences; a short line, or the `lines` splitter, keeps it whole."""
    if segmenter is None or len(text) <= SHORT_LINE_CHARS:
        return [text]
    out: list[str] = []
    for window in _windows(text):
        if len(window) > PYSBD_MAX_CHARS:  # no sentence end to cut at: nothing for pysbd to find
            out.append(window)
        else:
            out.extend(segmenter.segment(window))
    return [piece.strip() for piece in out if piece.strip()]


def sentences(blocks: list[Block], splitter: str = "pysbd") -> list[Sentence]:
    if splitter not in SPLITTERS:
        raise ValueError(f"unknown splitter '{splitter}' (known: {', '.join(SPLITTERS)})")
    segmenter = pysbd.Segmenter(language="en", clean=False) if splitter == "pysbd" else None
    out: list[Sentence] = []
    for index, block in enumerate(blocks):
        for piece in split_block(block.text, segmenter):
            chunked = len(piece) > MAX_SENTENCE_CHARS
            out.extend(Sentence(c, index, block.kind, chunked) for c in _chunks(piece))
    return out
