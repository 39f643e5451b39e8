"""Neighbouring sentences as context: what a reader sees around a caption, a speakerless
quote or a subhead. Shared by training (data.py) and inference (labeler.py) so both build it
the same way."""

from __future__ import annotations

from collections.abc import Sequence

# Enough of each neighbour to see a speaker ("..., she said.") or a credit line, short enough
# that the sentence itself keeps most of the model's attention and the compute stays small.
CONTEXT_WORDS = 16
SEPARATOR = " [SEP] "


def neighbour_context(
    texts: Sequence[str],
    doc_ids: Sequence[str] | None,
    positions: Sequence[int] | None = None,
    words: int = CONTEXT_WORDS,
) -> list[str]:
    """For each sentence: the tail of the previous and the head of the next sentence of the
    same document, in reading order (by `positions`, else input order). No document ids: no
    context (every entry ""), so models fall back to sentence-only input."""
    if not doc_ids:
        return [""] * len(texts)
    order = sorted(
        range(len(texts)),
        key=lambda i: (str(doc_ids[i]), positions[i] if positions is not None else i),
    )
    out = [""] * len(texts)
    for rank, i in enumerate(order):
        prev = order[rank - 1] if rank > 0 else None
        nxt = order[rank + 1] if rank + 1 < len(order) else None
        before = " ".join(texts[prev].split()[-words:]) if prev is not None and str(
            doc_ids[prev]) == str(doc_ids[i]) else ""  # fmt: skip
        after = " ".join(texts[nxt].split()[:words]) if nxt is not None and str(
            doc_ids[nxt]) == str(doc_ids[i]) else ""  # fmt: skip
        out[i] = f"{before}{SEPARATOR}{after}"
    return out


def trim_context(context: str, words: int) -> str:
    """Keep the last `words` words before the separator and the first `words` after it, so a
    model trained on a shorter window sees the same window at inference."""
    before, sep, after = context.partition(SEPARATOR.strip())
    if not sep:
        return context
    return f"{' '.join(before.split()[-words:])}{SEPARATOR}{' '.join(after.split()[:words])}"
