"""Article in, sentences out: the segmentation behind `python -m train.predict`.

A page is first cut into blocks, the units a reader sees apart (a paragraph, a heading, a menu
item, a credit line), then each block into sentences with pysbd. Furniture is kept on purpose:
`boilerplate` is one of our labels, so nothing here guesses what "the article" is.

- HTML: every visible text block in document order. Only script, style, noscript, template
  and head content is dropped, plus elements hidden with the `hidden` attribute or an inline
  `display: none` / `visibility: hidden`. `<br>` and `<hr>` end a block; `<pre>` keeps lines.
- Plain text: one block per line. Hard-wrapped text (every line cut near one width of 40-100
  characters) is re-joined first, so a sentence that runs over a line break stays whole.

Limits, so that odd input costs a bounded time:
- a block of at most SHORT_LINE_CHARS (80) characters stays one sentence, as the corpus
  treats "Copyright 2024 KVRL. All rights reserved." or "Photograph: K. Osei/Harbour Press";
- pysbd is quadratic on blocks with many full stops, so blocks are handed to it in windows of
  at most PYSBD_MAX_CHARS characters and PYSBD_MAX_STOPS candidate sentence ends, cut at a
  full stop followed by a space;
- a sentence longer than MAX_SENTENCE_CHARS (1,000; the corpus's longest is under 300) is cut
  at a space into chunks of at most that length, each labelled on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pysbd

SHORT_LINE_CHARS = 80
MAX_SENTENCE_CHARS = 1000
PYSBD_MAX_CHARS = 3000
PYSBD_MAX_STOPS = 60
SPLITTERS = ("pysbd", "lines")

DROP_TAGS = {"script", "style", "noscript", "template", "head", "title"}
HEAD_TAGS = {"title", "meta", "link", "style", "script", "noscript", "base", "template"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
VOID_TAGS |= {"param", "source", "track", "wbr"}
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


# ---------------------------------------------------------------- HTML


class _BlockParser(HTMLParser):
    """Streams the page (no tree, no recursion: deep or broken nesting costs nothing)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, dropped)
        self.dropped = 0  # open elements whose content is not shown
        self.buf: list[str] = []
        self.kind = ""

    def _close(self, tag: str) -> None:
        while self.stack:
            name, dropped = self.stack.pop()
            self.dropped -= dropped
            if name == tag:
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Browsers end <head> at the first element that cannot live there, </head> or not.
        if tag not in HEAD_TAGS and any(name == "head" for name, _ in self.stack):
            self._close("head")
        if tag in VOID_TAGS:
            if tag in ("br", "hr"):
                self.flush()
            return
        attr = dict(attrs)
        dropped = (
            tag in DROP_TAGS or "hidden" in attr or bool(_HIDDEN_STYLE.search(attr.get("style") or ""))
        )
        if tag in BLOCK_TAGS:
            self.flush()
        self.stack.append((tag, dropped))
        self.dropped += dropped

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or all(name != tag for name, _ in self.stack):
            return
        self._close(tag)
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        lines = data.split("\n") if any(n == "pre" for n, _ in self.stack) else [data]
        for i, line in enumerate(lines):
            if i:
                self.flush()
            if not self.buf and line.strip():
                self.kind = next((n for n, _ in reversed(self.stack) if n in BLOCK_TAGS), "p")
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
        next_word = len(line.split(" ", 1)[0])
        joins = (
            wrapped
            and previous
            and len(previous) + 1 + next_word > width
            and not _LIST_MARK.match(line)
        )
        if joins:
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


def make_segmenter(splitter: str) -> pysbd.Segmenter | None:
    if splitter not in SPLITTERS:
        raise ValueError(f"unknown splitter '{splitter}' (known: {', '.join(SPLITTERS)})")
    return pysbd.Segmenter(language="en", clean=False) if splitter == "pysbd" else None


def sentences(blocks: list[Block], splitter: str = "pysbd") -> list[Sentence]:
    segmenter = make_segmenter(splitter)
    out: list[Sentence] = []
    for index, block in enumerate(blocks):
        for piece in split_block(block.text, segmenter):
            chunked = len(piece) > MAX_SENTENCE_CHARS
            out.extend(Sentence(c, index, block.kind, chunked) for c in _chunks(piece))
    return out
