"""Build data/corpus.jsonl from the authored documents in data/raw/ and the adjudicated labels.

    python -m train.corpus build      # raw + adjudication -> data/corpus.jsonl (fixed splits)
    python -m train.corpus blind      # label-free copies of raw/ for the second annotator

Authoring format (data/raw/*.txt), one document after another:

    ### doc=w3-001 | outlet=The Daily Blare | style=tabloid | topic=crime | noise=yes
    <label> TAB <hard-case tag or -> TAB <sentence>

The writer's labels are annotator A; the blind second pass (data/annotations/blind/*.labels.txt)
is annotator B; data/annotations/adjudicated.tsv settles each disagreement under the guidelines.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from train.config import ROOT, default_labels

DATA = ROOT / "data"
RAW = DATA / "raw"
BLIND = DATA / "annotations" / "blind"
ADJUDICATED = DATA / "annotations" / "adjudicated.tsv"
CORPUS = DATA / "corpus.jsonl"
HARD_TAGS = {
    "attr_hedged", "nbr_quote", "social", "agentless", "adverb", "loaded", "forecast",
    "caption", "clause", "fragment", "question", "declined", "finding",
}  # fmt: skip
SPLIT_SEED = 20261125
# Writers named some styles their own way; one name per style keeps counts and splits honest.
STYLE_ALIASES = {
    "obituary page": "obituary", "sports-site news": "sports news",
    "letters to the editor": "letters page", "letter to the editor": "letters page",
    "broadcast transcript": "transcript-based report",
    "tv-station website breaking news": "broadcaster news page",
    "local news site": "local paper", "community notices": "local paper",
    "council report": "parliamentary report", "meeting report": "parliamentary report",
    "court listings": "police blotter", "magazine long-read feature": "magazine feature",
    "feature": "magazine feature", "tabloid web article": "tabloid", "tabloid news": "tabloid",
    "arts review": "review", "news analysis": "analysis essay", "column": "opinion column",
    "newsletter briefing": "political newsletter", "wire": "wire report",
    "news report": "broadsheet news", "entertainment news": "celebrity site",
    "media news": "business news", "arts news": "broadsheet news",
}  # fmt: skip
TOPIC_ALIASES = {
    "culture": "culture/arts", "disasters": "disasters/weather", "conflict": "conflict/war",
    "climate": "climate/environment", "economics": "business", "taxes": "local government",
    "public health": "health", "policing": "crime", "public safety": "crime",
    "food": "agriculture", "poverty": "local government",
}  # fmt: skip


@dataclass
class Line:
    doc_id: str
    sent_idx: int
    text: str
    label: str
    split: str
    style: str
    topic: str
    outlet: str
    noise: bool
    hard: str
    label_a: str
    label_b: str
    source: str  # file:line in data/raw, for error messages and audits


def parse_raw(path: Path, labels: list[str]) -> list[Line]:
    """Parse one authored file; every problem names the file and line."""
    out: list[Line] = []
    header: dict[str, str] | None = None
    idx = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.resolve().relative_to(ROOT)}:{number}"
        if not raw.strip():
            continue
        if raw.startswith("###"):
            fields = dict(part.strip().split("=", 1) for part in raw[3:].split("|") if "=" in part)
            for key in ("doc", "outlet", "style", "topic"):
                if not fields.get(key, "").strip():
                    raise ValueError(f"{where}: document header lacks '{key}='")
            header, idx = fields, 0
            continue
        if header is None:
            raise ValueError(f"{where}: sentence before any '### doc=' header")
        parts = raw.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{where}: expected label<TAB>tag<TAB>text, got {len(parts)} field(s)")
        label, tag, text = (p.strip() for p in parts)
        if label not in labels:
            raise ValueError(f"{where}: unknown label '{label}'")
        if tag != "-" and tag not in HARD_TAGS:
            raise ValueError(f"{where}: unknown hard-case tag '{tag}'")
        if not text:
            raise ValueError(f"{where}: empty text")
        out.append(
            Line(
                doc_id=header["doc"].strip(),
                sent_idx=idx,
                text=text,
                label=label,
                split="",
                style=STYLE_ALIASES.get(s := header["style"].strip().lower(), s),
                topic=TOPIC_ALIASES.get(t := header["topic"].strip().lower(), t),
                outlet=header["outlet"].strip(),
                noise=header.get("noise", "no").strip() == "yes",
                hard="" if tag == "-" else tag,
                label_a=label,
                label_b="",
                source=where,
            )
        )
        idx += 1
    return out


def read_raw(labels: list[str]) -> list[Line]:
    lines: list[Line] = []
    for path in sorted(RAW.glob("*.txt")):
        lines.extend(parse_raw(path, labels))
    return lines


def write_blind(target: Path = BLIND, pattern: str = "*.txt") -> int:
    """Label-free copies for annotator B: `### doc=...` headers and `n<TAB>text` lines."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(RAW.glob(pattern)):
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("###"):
                rows.append(line.split("| noise=")[0].rstrip(" |"))
            elif line.strip():
                rows.append(f"{len([r for r in rows if not r.startswith('###')])}\t"
                            f"{line.split(chr(9), 2)[2].strip()}")  # fmt: skip
        (target / path.name).write_text("\n".join(rows) + "\n", encoding="utf-8")
        count += 1
    return count


def _read_b_labels(path: Path) -> list[str]:
    """Annotator B's `n<TAB>label` file for one raw part, in line order."""
    out: dict[int, str] = {}
    for number, row in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if row.strip():
            n, _, label = row.partition("\t")
            try:
                out[int(n)] = label.strip()
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: expected n<TAB>label") from exc
    return [out.get(i, "") for i in range(len(out))]


def attach_annotations(lines: list[Line]) -> None:
    """Fill label_b from the blind pass and apply adjudicated labels where A and B differ."""
    by_file: dict[str, list[Line]] = {}
    for line in lines:
        by_file.setdefault(line.source.split(":")[0], []).append(line)
    for file, group in by_file.items():
        b_path = BLIND / (Path(file).stem + ".labels.txt")
        if b_path.exists():
            for line, label in zip(group, _read_b_labels(b_path), strict=False):
                line.label_b = label
    decisions = {}
    if ADJUDICATED.exists():
        for row in ADJUDICATED.read_text(encoding="utf-8").splitlines()[1:]:
            doc_id, sent_idx, label, *_ = row.split("\t")
            decisions[(doc_id, int(sent_idx))] = label
    for line in lines:
        line.label = decisions.get((line.doc_id, line.sent_idx), line.label_a)


def _coverage(split_of: dict[str, str], docs: dict[str, dict], wanted: set) -> int:
    """How many wanted (kind, value) pairs the validation and test splits each contain."""
    score = 0
    for split in ("validation", "test"):
        have = set()
        for doc_id, s in split_of.items():
            if s == split:
                have |= docs[doc_id]["keys"]
        score += len(have & wanted)
    return score


def assign_splits(lines: list[Line], tries: int = 400) -> None:
    """80/10/10 by document, stratified by style. Among seeded shuffles keep the one whose
    validation and test splits cover the most (label, style, topic) values, then swap
    same-style documents between train and a split while that raises the coverage."""
    docs: dict[str, dict] = {}
    for line in lines:
        d = docs.setdefault(line.doc_id, {"style": line.style, "keys": set()})
        d["keys"] |= {("style", line.style), ("topic", line.topic), ("label", line.label)}
    wanted = set().union(*(d["keys"] for d in docs.values()))
    by_style: dict[str, list[str]] = {}
    for doc_id in sorted(docs):
        by_style.setdefault(docs[doc_id]["style"], []).append(doc_id)
    rng = random.Random(SPLIT_SEED)
    best, best_score = {}, -1
    for _ in range(tries):
        split_of: dict[str, str] = {}
        offset = rng.randrange(10)
        for style in sorted(by_style):
            group = by_style[style][:]
            rng.shuffle(group)
            for i, doc_id in enumerate(group):
                slot = (i + offset) % 10
                split_of[doc_id] = "validation" if slot == 8 else "test" if slot == 9 else "train"
            offset = (offset + len(group)) % 10
        score = _coverage(split_of, docs, wanted)
        if score > best_score:
            best, best_score = split_of, score
    improved = True
    while improved:
        improved = False
        for a in sorted(best):
            for b in by_style[docs[a]["style"]]:
                if best[a] == best[b] or "train" not in (best[a], best[b]):
                    continue
                trial = {**best, a: best[b], b: best[a]}
                score = _coverage(trial, docs, wanted)
                if score > best_score:
                    best, best_score, improved = trial, score, True
    for line in lines:
        line.split = best[line.doc_id]


def build(labels: list[str]) -> list[Line]:
    lines = read_raw(labels)
    attach_annotations(lines)
    assign_splits(lines)
    with CORPUS.open("w", encoding="utf-8") as fh:
        for line in lines:
            row = asdict(line)
            row.pop("source")
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    labels = default_labels()
    if args[:1] == ["blind"]:
        print(f"wrote {write_blind()} label-free files to {BLIND.relative_to(ROOT)}")
    elif args[:1] == ["build"]:
        lines = build(labels)
        counts = Counter(line.split for line in lines)
        print(f"wrote {len(lines)} lines to {CORPUS.relative_to(ROOT)}: {dict(counts)}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
