"""Neighbouring sentences as context: what a reader sees around a caption, a speakerless
quote or a subhead. Shared by training (data.py) and inference (labeler.py) so both build it
the same way."""

from __future__ import annotations

from collections.abc import Sequence

# Enough of each neighbour to see a speaker ("..., she said.") or a credit line, short enough
# that the sentence itself keeps most of the model's attention and the compute stays small.
CONTEXT_WORDS = 16
SEPARATOR = " [SEP] "


def reading_neighbours(
    doc_ids: Sequence[str], positions: Sequence[int] | None = None
) -> list[tuple[int | None, int | None]]:
    """For each row: the index of the row before and after it in its document's reading order
    (by `positions`, else input order); None at a document's edges."""
    order = sorted(
        range(len(doc_ids)),
        key=lambda i: (str(doc_ids[i]), positions[i] if positions is not None else i),
    )
    out: list[tuple[int | None, int | None]] = [(None, None)] * len(doc_ids)
    docs = [str(d) for d in doc_ids]
    for rank, i in enumerate(order):
        prev = order[rank - 1] if rank > 0 else None
        nxt = order[rank + 1] if rank + 1 < len(order) else None
        out[i] = (
            prev if prev is not None and docs[prev] == docs[i] else None,
            nxt if nxt is not None and docs[nxt] == docs[i] else None,
        )
    return out


def neighbour_context(
    texts: Sequence[str],
    doc_ids: Sequence[str] | None,
    positions: Sequence[int] | None = None,
    words: int = CONTEXT_WORDS,
) -> list[str]:
    """For each sentence: the tail of the previous and the head of the next sentence of the
    same document, in reading order. No document ids: no context (every entry ""), so models
    fall back to sentence-only input."""
    if not doc_ids:
        return [""] * len(texts)
    out = []
    for prev, nxt in reading_neighbours(doc_ids, positions):
        before = " ".join(texts[prev].split()[-words:]) if prev is not None else ""
        after = " ".join(texts[nxt].split()[:words]) if nxt is not None else ""
        out.append(f"{before}{SEPARATOR}{after}")
    return out


def trim_context(context: str, words: int) -> str:
    """Keep the last `words` words before the separator and the first `words` after it, so a
    model trained on a shorter window sees the same window at inference."""
    before, sep, after = context.partition(SEPARATOR.strip())
    if not sep:
        return context
    return f"{' '.join(before.split()[-words:])}{SEPARATOR}{' '.join(after.split()[:words])}"
