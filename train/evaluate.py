"""Score a trained labeler on a split: metrics, confusion matrix, errors, throughput."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from train.families.base import TextSplit
from train.labeler import Labeler
from train.metrics import confusion, evaluate, report_text


@dataclass
class SplitResult:
    metrics: dict[str, float]
    proba: np.ndarray
    confusion: np.ndarray
    report: str
    seconds: float


def score(
    labeler: Labeler, split: TextSplit, prefix: str, raw: tuple[np.ndarray, float] | None = None
) -> SplitResult:
    """Metrics of the calibrated labeler on `split`. `raw` = (uncalibrated probabilities,
    seconds they took), when the caller already predicted this split."""
    if raw is None:
        start = time.perf_counter()
        proba = labeler.predict_proba(split.texts, split.contexts or None)
        seconds = time.perf_counter() - start
    else:
        proba, seconds = labeler.calibrated(raw[0]), raw[1]
    y_pred = proba.argmax(1)
    return SplitResult(
        metrics=evaluate(split.labels, proba, labeler.labels, prefix),
        proba=proba,
        confusion=confusion(split.labels, y_pred, len(labeler.labels)),
        report=report_text(split.labels, y_pred, labeler.labels),
        seconds=seconds,
    )


def errors_table(split: TextSplit, result: SplitResult, labels: list[str]) -> pd.DataFrame:
    """Misclassified sentences, most confident mistakes first, with their document."""
    y_pred = result.proba.argmax(1)
    wrong = np.flatnonzero(y_pred != split.labels)
    frame = pd.DataFrame(
        {
            "doc_id": [split.doc_ids[i] if split.doc_ids else "" for i in wrong],
            "text": [split.texts[i] for i in wrong],
            "true": [labels[split.labels[i]] for i in wrong],
            "predicted": [labels[y_pred[i]] for i in wrong],
            "confidence": result.proba[wrong, y_pred[wrong]].round(4),
        }
    )
    return frame.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)
