"""The small interface every model family shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

# Called by iterative families after each epoch with validation metrics and the epoch number.
EpochReport = Callable[[dict[str, float], int], None]


@dataclass
class TextSplit:
    """One split as the families see it: texts and integer label ids (config label order)."""

    texts: list[str]
    labels: np.ndarray
    doc_ids: list[str] = field(default_factory=list)
    # "previous [SEP] next" per sentence (train.context); "" entries when there is none.
    contexts: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


class Params:
    """Base for each family's typed hyper-parameters (a dataclass)."""

    def problems(self) -> dict[str, str]:
        """Checks that need more than a type: {key: what is wrong}. Empty when fine."""
        return {}


class Family(Protocol):
    Params: ClassVar[type]
    name: ClassVar[str]
    requirements: ClassVar[tuple[str, ...]]  # packages the exported model needs at inference

    def __init__(self, params: Any, labels: list[str], seed: int) -> None: ...

    def fit(self, train: TextSplit, valid: TextSplit, report: EpochReport) -> None: ...

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        """(n, len(labels)) probabilities, rows summing to 1, columns in label order.
        Families that do not read context ignore `contexts`."""
        ...

    def save(self, folder: Path) -> None: ...

    @classmethod
    def load(cls, folder: Path, labels: list[str]) -> Family: ...

    def provenance(self) -> dict[str, str]:
        """Facts worth logging with the run (e.g. the encoder's sha256)."""
        ...
