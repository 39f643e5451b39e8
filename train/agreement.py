"""Inter-annotator agreement of the corpus, and the list of disagreements to adjudicate.

    python -m train.agreement [--disagreements data/annotations/disagreements.tsv]

Annotator A is the writer (data/raw), annotator B the blind second pass
(data/annotations/blind). Prints Cohen's κ overall and one-vs-rest κ per label.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from train.config import default_labels
from train.corpus import Line, attach_annotations, read_raw


def kappas(lines: list[Line], labels: list[str]) -> dict[str, float]:
    pairs = [(x.label_a, x.label_b) for x in lines if x.label_b]
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    out = {
        "pairs": len(pairs),
        "observed_agreement": round(sum(x == y for x, y in pairs) / max(1, len(pairs)), 4),
        "kappa": round(cohen_kappa_score(a, b, labels=labels), 4),
    }
    for label in labels:
        out[f"kappa_{label}"] = round(
            cohen_kappa_score([x == label for x in a], [y == label for y in b]), 4
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disagreements", help="write disagreements (with context) as TSV")
    args = parser.parse_args(argv)
    labels = default_labels()
    lines = read_raw(labels)
    attach_annotations(lines)
    print(json.dumps(kappas(lines, labels), indent=2))
    if args.disagreements:
        by_doc: dict[str, list[Line]] = {}
        for line in lines:
            by_doc.setdefault(line.doc_id, []).append(line)
        rows = ["doc_id\tsent_idx\tlabel_a\tlabel_b\tprevious\ttext\tnext"]
        for line in lines:
            if line.label_b and line.label_a != line.label_b:
                doc = by_doc[line.doc_id]
                prev = doc[line.sent_idx - 1].text if line.sent_idx > 0 else ""
                nxt = doc[line.sent_idx + 1].text if line.sent_idx + 1 < len(doc) else ""
                rows.append(
                    f"{line.doc_id}\t{line.sent_idx}\t{line.label_a}\t{line.label_b}"
                    f"\t{prev}\t{line.text}\t{nxt}"
                )
        Path(args.disagreements).write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"{len(rows) - 1} disagreements written to {args.disagreements}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
