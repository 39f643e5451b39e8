"""Figures logged with each run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def confusion_figure(matrix: np.ndarray, labels: list[str], title: str) -> Figure:
    """Counts, with each row shaded by its share so rare labels stay readable."""
    share = matrix / np.clip(matrix.sum(1, keepdims=True), 1, None)
    fig, ax = plt.subplots(figsize=(6.4, 5.4), dpi=110)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color, fontsize=9)
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)


def reliability_figure(before: list[tuple], after: list[tuple], title: str) -> Figure:
    """Confidence against accuracy, before and after calibration; the diagonal is perfect."""
    fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for points, name, color in ((before, "raw", "tab:orange"), (after, "calibrated", "tab:blue")):
        if points:
            x, y, n = zip(*points, strict=True)
            ax.plot(x, y, marker="o", color=color, label=name)
            for xi, yi, ni in zip(x, y, n, strict=True):
                ax.annotate(str(ni), (xi, yi), fontsize=6, color=color, xytext=(2, -8),
                            textcoords="offset points")  # fmt: skip
    ax.set_xlabel("confidence (top label)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
