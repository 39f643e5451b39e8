"""Optional scores on the real-news dev set in ../shared (never used to choose anything).

The file is not part of the project and must never be trained on or committed; on a fresh
clone without ../shared everything here quietly returns nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from train.config import ROOT
from train.context import neighbour_context
from train.metrics import evaluate

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "real-news-dev.jsonl"
PREFIX = "realnews_dev"


def path() -> Path:
    return Path(os.environ.get("NEWS_KIT_REALNEWS", DEFAULT_PATH))


def available() -> bool:
    return path().is_file()


def load() -> list[dict]:
    with path().open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate_if_present(labeler) -> dict[str, float]:
    """`realnews_dev_*` metrics, or {} when the file is absent."""
    if not available():
        return {}
    rows = load()
    index = {label: i for i, label in enumerate(labeler.labels)}
    rows = [r for r in rows if r["label"] in index]
    y_true = np.array([index[r["label"]] for r in rows])
    texts = [r["text"] for r in rows]
    contexts = neighbour_context(texts, [r["doc_id"] for r in rows], [r["sent_idx"] for r in rows])
    proba = labeler.predict_proba(texts, contexts)
    return evaluate(y_true, proba, labeler.labels, PREFIX)
