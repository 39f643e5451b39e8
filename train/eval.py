"""Evaluate any exported or registered model on a labelled file, tracked as an MLflow run.

    python -m train.eval --data path/to/labelled.jsonl [--model models/champion]
    make eval DATA=path/to/labelled.jsonl MODEL=models/champion
    make eval MODEL=models:/news-sentence-labeler@champion DATA=...
    make eval-real          # ../shared/data/real-news-dev.jsonl, where it exists

The file follows the corpus schema (`text`, `label`, and optionally `doc_id`, `sent_idx` for
neighbour context and error tables); CSV and Parquet work too. The run logs per-label metrics,
a confusion matrix and a table of errors with their neighbouring sentences, is linked to the
model it scored, and a summary table is printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from train import tracking
from train.config import DataConfig, TrackingConfig
from train.context import neighbour_context, reading_neighbours
from train.data import DataError, read_table, validate_frame
from train.labeler import Labeler
from train.metrics import confusion, evaluate, report_text
from train.plots import close, confusion_figure


def load_model(model: str, scratch: Path) -> tuple[Labeler, str]:
    """A Labeler from an exported folder or any MLflow model URI; also the MLflow model id."""
    folder = Path(model)
    if not folder.exists():
        folder = tracking.download_model(model, scratch / "model")
    labeler_dir = folder / "artifacts" / "labeler"
    if not labeler_dir.exists():
        raise FileNotFoundError(f"{model}: not a model exported by this project")
    model_id = ""
    for line in (folder / "MLmodel").read_text().splitlines():
        if line.startswith("model_id:"):
            model_id = line.split(":", 1)[1].strip()
    return Labeler.load(labeler_dir), "" if model_id == "null" else model_id


def errors_with_context(frame: pd.DataFrame, pred: list[str], conf: np.ndarray) -> pd.DataFrame:
    """Each mistake with the sentences before and after it in its document."""
    texts = frame["text"].tolist()
    neighbours = reading_neighbours(frame["doc_id"].tolist(), frame["sent_idx"].tolist())
    rows = []
    for i, (true, guess) in enumerate(zip(frame["label"], pred, strict=True)):
        if true != guess:
            prev, nxt = neighbours[i]
            rows.append(
                {"doc_id": frame["doc_id"].iloc[i],
                 "previous": texts[prev] if prev is not None else "", "text": texts[i],
                 "next": texts[nxt] if nxt is not None else "", "true": true,
                 "predicted": guess, "confidence": round(float(conf[i]), 4)}
            )  # fmt: skip
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="labelled .jsonl / .csv / .parquet")
    parser.add_argument("--model", default="models/champion", help="folder or MLflow model URI")
    parser.add_argument("--name", default="", help="run name (default: eval-<file stem>)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="eval-") as scratch:
        try:
            tracking.use_store(tracking.resolve_uri(TrackingConfig()))
            labeler, model_id = load_model(args.model, Path(scratch))
            raw, fmt = read_table(Path(args.data))
            # Evaluation reads every row: an empty split column means "ignore any split".
            cfg = DataConfig(split_column="")
            frame = validate_frame(raw, cfg, labeler.labels, args.data, fmt).reset_index(drop=True)
        except (DataError, FileNotFoundError, tracking.TrackingError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    has_docs = bool((frame["doc_id"] != "").any())
    texts = frame["text"].tolist()
    contexts = neighbour_context(
        texts, frame["doc_id"].tolist() if has_docs else None, frame["sent_idx"].tolist()
    )
    proba = labeler.predict_proba(texts, contexts)
    y = np.array([labeler.labels.index(label) for label in frame["label"]])
    metrics = evaluate(y, proba, labeler.labels, "eval")
    pred = [labeler.labels[i] for i in proba.argmax(1)]
    matrix = confusion(y, proba.argmax(1), len(labeler.labels))
    report = report_text(y, proba.argmax(1), labeler.labels)

    setup = tracking.setup(TrackingConfig())
    name = args.name or f"eval-{Path(args.data).stem}"
    tags = {
        "kind": "evaluation",
        "evaluated_model": args.model,
        "model_family": labeler.family_name,
    }
    with tracking.run(name, tags=tags):
        tracking.log_dataset(frame, args.data, Path(args.data).stem, "evaluation")
        tracking.log_metrics(metrics, model_id=model_id or None)
        fig = confusion_figure(matrix, labeler.labels, name)
        tracking.log_figure(fig, "confusion.png")
        close(fig)
        tracking.log_text(report, "report.txt")
        tracking.log_table(errors_with_context(frame, pred, proba.max(1)), "errors.json")

    print(f"{name}: {len(frame)} sentences, model {args.model} ({labeler.family_name})")
    print(report)
    header = "true \\ pred".ljust(16) + "".join(lab[:12].rjust(13) for lab in labeler.labels)
    print(header)
    for label, row in zip(labeler.labels, matrix, strict=True):
        print(label.ljust(16) + "".join(str(v).rjust(13) for v in row))
    print(f"macro-F1 {metrics['eval_macro_f1']:.3f} (logged to {setup})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
