"""Post-hoc calibration fitted on validation: temperature scaling, and optional per-label
biases for imbalanced labels. Both act on log-probabilities, so they suit every family."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize_scalar

from train.metrics import macro_f1


def adjust(
    proba: np.ndarray, temperature: float = 1.0, bias: np.ndarray | None = None
) -> np.ndarray:
    """softmax(log p / T + b): T > 1 softens over-confident models; b shifts label priors."""
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    if bias is not None:
        logits = logits + bias
    logits -= logits.max(1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(1, keepdims=True)


def _nll(proba: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0)).mean())


def fit_temperature(proba: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising validation log-loss (searched on log T in [-3, 3])."""
    result = minimize_scalar(
        lambda log_t: _nll(adjust(proba, float(np.exp(log_t))), y),
        bounds=(-3.0, 3.0),
        method="bounded",
    )
    return float(np.exp(result.x))


def fit_label_bias(proba: np.ndarray, y: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Per-label log-prior shifts maximising validation macro-F1 (coordinate search).
    This is how a rare label such as hedged_claim gets a fair threshold."""
    bias = np.zeros(proba.shape[1])
    grid = np.linspace(-2.0, 2.0, 21)
    best = macro_f1(y, adjust(proba, 1.0, bias).argmax(1))
    for _ in range(rounds):
        for k in range(proba.shape[1]):
            for value in grid:
                trial = bias.copy()
                trial[k] = value
                score = macro_f1(y, adjust(proba, 1.0, trial).argmax(1))
                if score > best + 1e-9:
                    best, bias = score, trial
    return bias


def reliability_points(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> list[tuple]:
    """(mean confidence, accuracy, count) per non-empty equal-width bin of top-label
    confidence: the points of a reliability diagram."""
    conf = proba.max(1)
    correct = proba.argmax(1) == y
    points = []
    for lo, hi in itertools.pairwise(np.linspace(0.0, 1.0, bins + 1)):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            points.append((float(conf[mask].mean()), float(correct[mask].mean()), int(mask.sum())))
    return points


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE: |accuracy - confidence| per bin, weighted by the bin's share."""
    n = max(1, len(y))
    return float(sum(c / n * abs(acc - m) for m, acc, c in reliability_points(proba, y, bins)))


def crossfit_label_bias_f1(proba: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Macro-F1 of label biases scored on data they were not fitted on: each half of the
    validation set is predicted with the biases fitted on the other half. Biases fitted and
    scored on the same sentences flatter themselves, and validation macro-F1 picks winners."""
    order = np.random.default_rng(seed).permutation(len(y))
    halves = (order[: len(y) // 2], order[len(y) // 2 :])
    pred = np.zeros(len(y), dtype=int)
    for fit_on, score_on in (halves, halves[::-1]):
        bias = fit_label_bias(proba[fit_on], y[fit_on])
        pred[score_on] = adjust(proba[score_on], 1.0, bias).argmax(1)
    return macro_f1(y, pred)
