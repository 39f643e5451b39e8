"""TF-IDF over word and character n-grams into a logistic regression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from train.families.base import EpochReport, TextSplit
from train.families.base import Params as BaseParams

MODEL_FILE = "pipeline.skops"


@dataclass
class TfidfParams(BaseParams):
    C: float = 8.0
    class_weight: str = "balanced"  # "balanced" or "none"
    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    min_df: int = 1
    max_iter: int = 2000

    def problems(self) -> dict[str, str]:
        out = {}
        if self.class_weight not in ("balanced", "none"):
            out["class_weight"] = f"must be 'balanced' or 'none', got '{self.class_weight}'"
        if self.C <= 0:
            out["C"] = "must be > 0"
        if not 1 <= self.char_ngram_min <= self.char_ngram_max:
            out["char_ngram_min"] = "must be ≥1 and ≤ char_ngram_max"
        return out


class TfidfLogReg:
    Params = TfidfParams
    name: ClassVar[str] = "tfidf_logreg"
    # Installed next to the exported model, pinned to the versions that trained it.
    requirements: ClassVar[tuple[str, ...]] = ("scikit-learn", "skops")

    def __init__(self, params: TfidfParams, labels: list[str], seed: int) -> None:
        self.params, self.labels, self.seed = params, labels, seed
        self.pipeline: Pipeline | None = None

    def _build(self) -> Pipeline:
        p = self.params
        features = FeatureUnion(
            [
                (
                    "word",
                    TfidfVectorizer(
                        ngram_range=(1, p.word_ngram_max),
                        min_df=p.min_df,
                        sublinear_tf=True,
                        lowercase=True,
                    ),
                ),
                (
                    # Case is kept in the char view: ALL-CAPS subheads and Title Case nav
                    # words are strong furniture cues.
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(p.char_ngram_min, p.char_ngram_max),
                        min_df=p.min_df,
                        sublinear_tf=True,
                        lowercase=False,
                    ),
                ),
            ]
        )
        clf = LogisticRegression(
            C=p.C,
            class_weight=None if p.class_weight == "none" else "balanced",
            max_iter=p.max_iter,
            random_state=self.seed,
        )
        return Pipeline([("features", features), ("clf", clf)])

    def fit(self, train: TextSplit, valid: TextSplit, report: EpochReport) -> None:
        self.pipeline = self._build().fit(train.texts, train.labels)

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        assert self.pipeline is not None, "fit or load first"
        proba = self.pipeline.predict_proba(list(texts))
        # A label missing from training gets probability 0 rather than shifting columns.
        out = np.zeros((len(texts), len(self.labels)))
        out[:, self.pipeline.classes_] = proba
        return out

    def save(self, folder: Path) -> None:
        sio.dump(self.pipeline, folder / MODEL_FILE)

    @classmethod
    def load(cls, folder: Path, labels: list[str]) -> TfidfLogReg:
        path = folder / MODEL_FILE
        # skops refuses any type not on this list instead of executing it like pickle would.
        trusted = [t for t in sio.get_untrusted_types(file=path) if t.startswith(_SAFE_PREFIXES)]
        self = cls(TfidfParams(), labels, 0)
        self.pipeline = sio.load(path, trusted=trusted)
        return self

    def provenance(self) -> dict[str, str]:
        return {}


_SAFE_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")
