"""Validate a corpus file and print its statistics.

    python -m train.datacheck [data/corpus.jsonl] [--json stats.json]
    make data-check

Fails (exit 1, one message per problem naming file and line) on: a missing field, an unknown
label, empty text, a duplicate (doc_id, sent_idx), a document spread over two splits, and
near-duplicate lines across splits (Jaccard ≥ 0.8 over character 5-grams of normalised text).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from train.config import ROOT, default_labels

REQUIRED = ("doc_id", "sent_idx", "text", "label", "split", "style", "topic")
SPLITS = ("train", "validation", "test")
NEAR_DUP = 0.8
MIN_CHARS = 30  # shorter lines are furniture-sized ("Share", "Advertisement"): reported apart


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def shingles(text: str, k: int = 5) -> set[str]:
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))}


def read(path: Path, labels: list[str]) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    seen: dict[tuple, int] = {}
    split_of: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{number}"
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        missing = [f for f in REQUIRED if f not in row]
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        if row["label"] not in labels:
            problems.append(f"{where}: unknown label {row['label']!r}")
        if not str(row["text"]).strip():
            problems.append(f"{where}: empty text")
        if row["split"] not in SPLITS:
            problems.append(f"{where}: unknown split {row['split']!r}")
        key = (row["doc_id"], row["sent_idx"])
        if key in seen:
            problems.append(
                f"{where}: duplicate (doc_id, sent_idx) {key}, first on line {seen[key]}"
            )
        seen[key] = number
        first = split_of.setdefault(row["doc_id"], (row["split"], number))
        if first[0] != row["split"]:
            problems.append(
                f"{where}: document {row['doc_id']!r} is in '{row['split']}' here "
                f"but in '{first[0]}' on line {first[1]}"
            )
        row["_line"] = number
        rows.append(row)
    return rows, problems


def near_duplicates(rows: list[dict]) -> list[tuple[dict, dict, float]]:
    """Pairs in different splits with Jaccard ≥ NEAR_DUP (word-trigram index finds candidates)."""
    norm = [normalise(r["text"]) for r in rows]
    index: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(norm):
        words = text.split()
        for j in range(len(words) - 2):
            index[" ".join(words[j : j + 3])].append(i)
    cache: dict[int, set[str]] = {}
    pairs, done = [], set()
    for members in index.values():
        if len(members) > 50:  # a phrase this common carries no signal
            continue
        for a in members:
            for b in members:
                if a >= b or (a, b) in done or rows[a]["split"] == rows[b]["split"]:
                    continue
                done.add((a, b))
                if min(len(norm[a]), len(norm[b])) < MIN_CHARS:
                    continue
                sa = cache.setdefault(a, shingles(norm[a]))
                sb = cache.setdefault(b, shingles(norm[b]))
                jac = len(sa & sb) / len(sa | sb)
                if jac >= NEAR_DUP:
                    pairs.append((rows[a], rows[b], jac))
    return pairs


def shared_ngrams(rows: list[dict], n: int = 8) -> list[tuple[dict, dict, str]]:
    """Line pairs (any split) sharing an n-gram of words after lower-casing. A furniture line
    repeating its own page's headline ("Share this: <headline>") is real page furniture, not
    a repeated sentence shape, and is not counted."""
    first: dict[str, int] = {}
    out = []
    for i, row in enumerate(rows):
        words = row["text"].lower().split()
        hits = set()
        for j in range(len(words) - n + 1):
            gram = " ".join(words[j : j + n])
            other = first.get(gram)
            if other is not None and other != i and other not in hits:
                hits.add(other)
                same_page = rows[other]["doc_id"] == row["doc_id"]
                if not (same_page and "boilerplate" in (row["label"], rows[other]["label"])):
                    out.append((rows[other], row, gram))
            first.setdefault(gram, i)
    return out


def distinct_ratios(rows: list[dict]) -> dict[str, float]:
    out = {}
    tokens = [normalise(r["text"]).split() for r in rows]
    for n in (1, 2, 3):
        grams = [tuple(t[i : i + n]) for t in tokens for i in range(len(t) - n + 1)]
        out[f"distinct_{n}"] = round(len(set(grams)) / max(1, len(grams)), 4)
    return out


def statistics(rows: list[dict], labels: list[str]) -> dict:
    by_split = {s: Counter(r["label"] for r in rows if r["split"] == s) for s in SPLITS}
    docs = {r["doc_id"]: r for r in rows}
    return {
        "lines": len(rows),
        "documents": len(docs),
        "labels": {lab: sum(1 for r in rows if r["label"] == lab) for lab in labels},
        "splits": {s: {"lines": sum(c.values()), **dict(c)} for s, c in by_split.items()},
        "split_documents": dict(Counter(d["split"] for d in docs.values())),
        "styles": dict(Counter(d["style"] for d in docs.values()).most_common()),
        "topics": dict(Counter(d["topic"] for d in docs.values()).most_common()),
        "outlets": len({d.get("outlet", "") for d in docs.values()}),
        "hard_case_share": round(sum(1 for r in rows if r.get("hard")) / max(1, len(rows)), 4),
        "hard_cases": dict(Counter(r["hard"] for r in rows if r.get("hard")).most_common()),
        "noisy_document_share": round(
            sum(1 for d in docs.values() if d.get("noise")) / max(1, len(docs)), 4
        ),
        **distinct_ratios(rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(ROOT / "data" / "corpus.jsonl"))
    parser.add_argument("--json", help="also write the statistics to this file")
    args = parser.parse_args(argv)
    path = Path(args.path)
    if not path.exists():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 1
    labels = default_labels()
    rows, problems = read(path, labels)
    for a, b, jac in near_duplicates(rows):
        problems.append(
            f"{path}:{b['_line']}: near-duplicate (Jaccard {jac:.2f}) of line {a['_line']} "
            f"across splits ({a['split']} / {b['split']}): {b['text'][:60]!r}"
        )
    stats = statistics(rows, labels)
    ngram_pairs = shared_ngrams(rows)
    stats["lines_sharing_an_8gram"] = len(ngram_pairs)
    stats["near_duplicate_pairs_across_splits"] = sum("near-duplicate" in p for p in problems)
    print(json.dumps(stats, indent=2))
    for a, b, gram in ngram_pairs[:20]:
        print(f"shared 8-gram, lines {a['_line']} and {b['_line']}: {gram!r}")
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s) in {path}", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
