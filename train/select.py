"""Pick the winner: the best validation score of the primary metric, nothing else."""

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


def choose(results: list[RunResult], primary_metric: str) -> RunResult:
    """Highest `primary_metric`; a tie goes to the earlier run (the cheaper family first)."""
    if not results:
        raise ValueError("no finished run to choose from")
    if not primary_metric.startswith("val_"):
        raise ValueError(f"selection uses validation metrics only, got '{primary_metric}'")
    best = results[0]
    for result in results[1:]:
        if result.metrics[primary_metric] > best.metrics[primary_metric]:
            best = result
    return best
