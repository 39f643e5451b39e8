"""Label every sentence of an article: plain text, HTML or JSON Lines in, labels out.

    python -m train.predict data/samples/article.html
    python -m train.predict article.txt --format jsonl > labels.jsonl
    python -m train.predict page.html --html report.html --model models/champion
    cat article.txt | python -m train.predict - --splitter lines --format csv
    python -m train.predict sentences.jsonl --doc seed-000 --format jsonl

Input (`--input-format auto` picks by extension, then by content):
- text: one block per line (hard-wrapped text is re-joined), split into sentences by pysbd; a
  block of up to 80 characters (a menu item, a credit) stays one sentence;
- html: every visible text block in reading order, page furniture included (see train.segment);
- jsonl: one {"text": ...} object per line, optional doc_id / sent_idx kept. If any row has a
  sent_idx the rows are taken as already-split sentences; otherwise each row is a block of text
  (a paragraph or a whole article) and is split like plain text. `--doc ID` keeps one document.
`--splitter lines` skips pysbd: each text line or HTML block is one sentence.

Output: `table` (default; a readable table and per-label counts per document), `jsonl` or `csv`
with doc_id, sent_idx, text, label and one prob_<label> per label. `--html FILE` also writes a
self-contained page with each sentence coloured by its label (train.report).

Limits, so that any input gives a clear message or a bounded result, never a traceback:
- MAX_INPUT_BYTES (5 MB) per run: bigger input is refused; label corpora from Python with
  train.labeler.Labeler instead. MAX_SENTENCES (50,000) per run, likewise.
- Invalid UTF-8 is decoded with U+FFFD replacement characters and a note naming the first bad
  byte offset and line; a NUL byte, or more than 10% control / undecodable characters, is
  refused as binary. UTF-8 and UTF-16 byte-order marks are honoured.
- A sentence over 1,000 characters is cut at a space into chunks labelled one by one; a JSON
  Lines row that is already a sentence (it has sent_idx) is kept whole and labelled on its first
  1,000 characters. Both cases print a note.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from train import segment
from train.labeler import META_FILE, Labeler
from train.report import write_report, write_table
from train.segment import InputError

MAX_INPUT_BYTES = 5_000_000
MAX_SENTENCES = 50_000
FORMATS = ("table", "jsonl", "csv")
INPUT_FORMATS = ("auto", "text", "html", "jsonl")


@dataclass
class Item:
    doc_id: str
    sent_idx: int
    text: str
    block: int
    kind: str
    model_text: str  # what the model sees: over-long pre-split rows are cut here, not in output
    chunked: bool = False  # one piece of a sentence cut at MAX_SENTENCE_CHARS


# ---------------------------------------------------------------- reading


def read_bytes(source: str) -> tuple[bytes, str]:
    if source == "-":
        data, name = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), "<stdin>"
    else:
        path, name = Path(source), source
        if path.is_dir():
            raise InputError(f"{name}: is a folder; give a text, HTML or JSON Lines file")
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"{name}: over the {MAX_INPUT_BYTES:,}-byte input limit; split it, or label large "
            "corpora from Python with train.labeler.Labeler"
        )
    return data, name


def _jsonl_rows(text: str, name: str) -> list[tuple[str, int | None, str]]:
    rows = []
    # Not splitlines(): a JSON string may hold a raw U+2028, which splitlines() breaks on.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{name}: line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise InputError(f'{where}: expected an object like {{"text": "..."}}')
        if "text" not in obj:
            raise InputError(f"{where}: no 'text' key (keys: {', '.join(obj) or 'none'})")
        value, idx = obj["text"], obj.get("sent_idx")
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: 'text' must be a string, got {type(value).__name__}")
        if idx is not None and (not isinstance(idx, int) or isinstance(idx, bool)):
            raise InputError(f"{where}: 'sent_idx' must be an integer, got {idx!r}")
        doc = obj.get("doc_id")
        rows.append(("" if doc is None else str(doc), idx, value or ""))
    return rows


def items_from(
    text: str, fmt: str, name: str, splitter: str, doc: str | None, notes: list[str]
) -> list[Item]:
    """The sentences to label, in input order, with their doc_id and sent_idx."""
    default_doc = "stdin" if name == "<stdin>" else Path(name).stem
    if fmt != "jsonl":
        if doc is not None:
            raise InputError("--doc selects a document of JSON Lines input only")
        blocks = segment.html_blocks(text) if fmt == "html" else segment.text_blocks(text)
        sents = segment.sentences(blocks, splitter)
        items = [
            Item(default_doc, i, s.text, s.block, s.kind, s.text, s.chunked)
            for i, s in enumerate(sents)
        ]
    else:
        rows = [(d or default_doc, i, t) for d, i, t in _jsonl_rows(text, name)]
        if doc is not None:
            found = list(dict.fromkeys(d for d, _, _ in rows))
            rows = [r for r in rows if r[0] == doc]
            if not rows:
                known = ", ".join(found[:10]) + (" ..." if len(found) > 10 else "")
                raise InputError(f"{name}: no rows with doc_id '{doc}' (found: {known})")
        items = _jsonl_items(rows, splitter)
    limit = segment.MAX_SENTENCE_CHARS
    if chunks := sum(it.chunked for it in items):
        notes.append(
            f"over-long sentences were cut into {chunks:,} chunks of at most {limit:,} "
            "characters, each labelled on its own"
        )
    if cut := sum(len(it.text) > limit for it in items):
        notes.append(f"{cut:,} row(s) over {limit:,} characters were labelled on that prefix")
    return items


def _jsonl_items(rows: list[tuple[str, int | None, str]], splitter: str) -> list[Item]:
    items: list[Item] = []
    position: dict[str, int] = {}
    if any(idx is not None for _, idx, _ in rows):  # already sentences: keep them as given
        for doc, idx, text in rows:
            n = position[doc] = position.get(doc, -1) + 1
            cut = text[: segment.MAX_SENTENCE_CHARS]
            items.append(Item(doc, n if idx is None else idx, text, n, "line", cut))
        return items
    blocks_seen: dict[str, int] = {}
    for doc, _, text in rows:
        first_block = blocks_seen.get(doc, 0)
        blocks = segment.text_blocks(text)
        blocks_seen[doc] = first_block + len(blocks)
        for s in segment.sentences(blocks, splitter):
            n = position[doc] = position.get(doc, -1) + 1
            items.append(Item(doc, n, s.text, first_block + s.block, s.kind, s.text, s.chunked))
    return items


# ---------------------------------------------------------------- model and output


def load_labeler(model: str) -> Labeler:
    """A model folder (exported champion) or a labeler folder itself."""
    root = Path(model)
    for folder in (root / "artifacts" / "labeler", root):
        if (folder / META_FILE).is_file():
            try:
                return Labeler.load(folder)
            except Exception as exc:  # a broken model is the user's to fix: say what broke
                raise InputError(f"{folder}: cannot load the model ({exc})") from None
    raise InputError(
        f"{model}: not a model folder (no artifacts/labeler/{META_FILE} or {META_FILE}); "
        "run `make train` or pass --model"
    )


def label(labeler: Labeler, items: list[Item]) -> pd.DataFrame:
    pred = labeler.predict([it.model_text for it in items])
    out = pd.DataFrame(
        {
            "doc_id": [it.doc_id for it in items],
            "sent_idx": [it.sent_idx for it in items],
            "text": [it.text for it in items],
        }
    )
    out["label"] = pred["label"].to_numpy()
    for col in (c for c in pred.columns if c.startswith("prob_")):
        out[col] = pred[col].round(4).to_numpy()
    return out


def write_output(df: pd.DataFrame, fmt: str, labels: list[str], out) -> None:
    if fmt == "jsonl":
        for row in df.to_dict(orient="records"):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(df.columns)
        writer.writerows(df.itertuples(index=False))
    else:
        write_table(df, labels, out)


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m train.predict", description="Label each sentence of an article."
    )
    p.add_argument("file", nargs="?", default="-", help="text, HTML or JSON Lines; - for stdin")
    p.add_argument("--model", default="models/champion", help="model or labeler folder")
    p.add_argument("--format", choices=FORMATS, default="table", help="output on stdout")
    p.add_argument("--html", metavar="FILE", help="also write a coloured HTML report")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default="auto")
    p.add_argument("--splitter", choices=segment.SPLITTERS, default="pysbd")
    p.add_argument("--doc", metavar="DOC_ID", help="JSON Lines input: label this document only")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    notes: list[str] = []
    data, name = read_bytes(args.file)
    text = segment.decode(data, name, notes)
    fmt = segment.detect_format(name, text) if args.input_format == "auto" else args.input_format
    items = items_from(text, fmt, name, args.splitter, args.doc, notes)
    if not items:
        if not text.strip():
            why = "the input holds only blank lines" if text else "the input is empty"
        else:
            why = "no visible text in the HTML" if fmt == "html" else "no text in any row"
        raise InputError(f"{name}: nothing to label ({why})")
    if len(items) > MAX_SENTENCES:
        raise InputError(
            f"{name}: {len(items):,} sentences, over the {MAX_SENTENCES:,} limit per run; "
            "split the input"
        )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    # Model loading is the slow part: it comes after the input has proved usable.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    labeler = load_labeler(args.model)
    if len(items) > 2000:  # MiniLM on a CPU does a few hundred a second: say why it is quiet
        print(f"note: labelling {len(items):,} sentences ({labeler.family_name})", file=sys.stderr)
    df = label(labeler, items)
    if args.html:
        try:
            write_report(Path(args.html), df, items, labeler.labels, source=name, model=args.model)
        except OSError as exc:
            raise InputError(f"{args.html}: cannot write the report ({exc.strerror})") from None
    write_output(df, args.format, labeler.labels, sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("NEWS_KIT_DEBUG"):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (NEWS_KIT_DEBUG=1 shows the "
            "traceback; please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
