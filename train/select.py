"""Pick the winner on the primary validation metric, and nothing else.

A validation set of a few dozen documents cannot tell apart two runs a fraction of a point
apart: the difference is inside the metric's own noise. So each run logs the document-level
bootstrap standard error of its score (`<metric>_se`), and among the runs within one standard
error of the best, the fastest at inference wins (the one-standard-error rule; ties go to the
earlier run). Without a logged error the rule is plain argmax.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunResult:
    name: str
    family: str
    run_id: str
    model_uri: str
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    provenance: dict[str, str] = field(default_factory=dict)


SPEED = "infer_sentences_per_s"


def contenders(results: list[RunResult], primary_metric: str) -> list[RunResult]:
    """The runs whose score is within one standard error of the best run's score."""
    if not results:
        raise ValueError("no finished run to choose from")
    if not primary_metric.startswith("val_"):
        raise ValueError(f"selection uses validation metrics only, got '{primary_metric}'")
    best = results[0]
    for result in results[1:]:
        if result.metrics[primary_metric] > best.metrics[primary_metric]:
            best = result
    floor = best.metrics[primary_metric] - best.metrics.get(f"{primary_metric}_se", 0.0)
    return [r for r in results if r.metrics[primary_metric] >= floor]


def choose(results: list[RunResult], primary_metric: str) -> RunResult:
    """The fastest of the runs within one standard error of the best validation score."""
    close = contenders(results, primary_metric)
    winner = close[0]
    for result in close[1:]:
        if result.metrics.get(SPEED, 0.0) > winner.metrics.get(SPEED, 0.0):
            winner = result
    return winner
