"""Metrics, computed once here so every family, run and report agrees on them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)


def macro_f1(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def evaluate(
    y_true: np.ndarray, proba: np.ndarray, labels: list[str], prefix: str
) -> dict[str, float]:
    """Flat metrics dict: {prefix}_accuracy, _macro_f1, _log_loss and per-label P/R/F1.

    Macro-F1 averages over all configured labels, present or not, so a label the model never
    predicts costs it rather than disappearing from the average.
    """
    ids = list(range(len(labels)))
    y_pred = proba.argmax(1)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    out = {
        f"{prefix}_accuracy": float(accuracy_score(y_true, y_pred)),
        f"{prefix}_macro_f1": float(np.mean(f)),
        f"{prefix}_log_loss": float(log_loss(y_true, np.clip(proba, 1e-12, 1), labels=ids)),
    }
    for i, label in enumerate(labels):
        out[f"{prefix}_precision_{label}"] = float(p[i])
        out[f"{prefix}_recall_{label}"] = float(r[i])
        out[f"{prefix}_f1_{label}"] = float(f[i])
    return out


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, labels=list(range(n_labels)))


def report_text(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> str:
    return classification_report(
        y_true,
        y_pred,
        labels=list(range(len(labels))),
        target_names=labels,
        digits=3,
        zero_division=0,
    )


def bootstrap_se(
    y_true: np.ndarray, y_pred: np.ndarray, groups: Sequence[str], rounds: int = 200, seed: int = 0
) -> float:
    """Standard error of macro-F1 under resampling whole documents with replacement.

    Sentences of one document are not independent (one writer, one topic), so documents are
    the unit; resampling sentences would understate the noise."""
    if len(y_true) == 0:
        return 0.0
    keys = np.asarray([str(g) for g in groups]) if len(groups) else np.arange(len(y_true))
    members = [np.flatnonzero(keys == k) for k in np.unique(keys)]
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(rounds):
        picked = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[i] for i in picked])
        scores.append(macro_f1(y_true[rows], y_pred[rows]))
    return float(np.std(scores))
