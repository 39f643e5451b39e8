"""The trained artefact users load: a family plus the labels and config it was trained with.

Framework-free on purpose: the MLflow pyfunc wrapper (train.tracking.model_code), the CLI and
tests all go through this one class, so they cannot disagree about the inference contract:

    predict(["Police arrested three men."]) -> DataFrame[label, prob_<label> for each label]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from train.calibration import adjust
from train.context import neighbour_context
from train.families import family_class

META_FILE = "labeler.json"
CONFIG_FILE = "config.yaml"
MODEL_DIR = "model"
FORMAT_VERSION = 1


class InputError(ValueError):
    """Input the model cannot label, phrased for the user."""


def texts_from(data: Any) -> list[str]:
    """Accept a DataFrame with a `text` column, a Series, a list of strings, or one string."""
    if isinstance(data, pd.DataFrame):
        if "text" in data.columns:
            column = data["text"]
        elif data.shape[1] == 1:
            column = data.iloc[:, 0]
        else:
            raise InputError(f"input needs a 'text' column (got: {', '.join(data.columns)})")
        values = column.tolist()
    elif isinstance(data, str):
        values = [data]
    elif isinstance(data, pd.Series | Sequence | np.ndarray):
        values = list(data)
    elif isinstance(data, dict) and "text" in data:
        values = list(data["text"]) if not isinstance(data["text"], str) else [data["text"]]
    else:
        raise InputError(f"cannot label input of type {type(data).__name__}")
    # None/NaN become "" rather than failing the whole batch; "" is labelled like any text.
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


def contexts_from(data: Any, texts: list[str]) -> list[str] | None:
    """Neighbour context when the input says which document each row belongs to."""
    if not isinstance(data, pd.DataFrame) or "doc_id" not in data.columns:
        return None
    positions = None
    if "sent_idx" in data.columns:
        positions = pd.to_numeric(data["sent_idx"], errors="coerce").fillna(0).astype(int).tolist()
    return neighbour_context(texts, data["doc_id"].astype(str).tolist(), positions)


class Labeler:
    def __init__(
        self,
        family: Any,
        labels: list[str],
        config: dict[str, Any],
        temperature: float = 1.0,
        label_bias: list[float] | None = None,
    ) -> None:
        self.family, self.labels, self.config = family, list(labels), config
        self.temperature = temperature
        self.label_bias = np.asarray(label_bias) if label_bias is not None else None

    @property
    def family_name(self) -> str:
        return self.family.name

    def raw_proba(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """The family's probabilities before calibration."""
        proba = np.asarray(self.family.predict_proba(list(texts), contexts), dtype=np.float64)
        # float32 softmax rows drift from 1 by ~1e-7; the contract promises they sum to 1.
        return proba / np.clip(proba.sum(1, keepdims=True), 1e-12, None)

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        """Calibrated probabilities: what the exported model returns."""
        return self.calibrated(self.raw_proba(texts, contexts))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """Apply this labeler's temperature and label biases to uncalibrated probabilities."""
        return adjust(raw, self.temperature, self.label_bias)

    def predict(self, data: Any) -> pd.DataFrame:
        texts = texts_from(data)
        proba = self.predict_proba(texts, contexts_from(data, texts))
        out = pd.DataFrame({"label": [self.labels[i] for i in proba.argmax(1)]})
        for i, label in enumerate(self.labels):
            out[f"prob_{label}"] = proba[:, i]
        return out

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MODEL_DIR).mkdir(exist_ok=True)
        self.family.save(folder / MODEL_DIR)
        meta = {
            "format_version": FORMAT_VERSION,
            "family": self.family.name,
            "labels": self.labels,
            "provenance": self.family.provenance(),
            "temperature": self.temperature,
            "label_bias": None if self.label_bias is None else self.label_bias.tolist(),
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (folder / CONFIG_FILE).write_text(yaml.safe_dump(self.config, sort_keys=False))

    @classmethod
    def load(cls, folder: str | Path) -> Labeler:
        folder = Path(folder)
        meta_path = folder / META_FILE
        if not meta_path.exists():
            raise FileNotFoundError(f"{folder}: not a saved labeler (no {META_FILE})")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{meta_path}: format_version {meta.get('format_version')} unknown")
        family = family_class(meta["family"]).load(folder / MODEL_DIR, meta["labels"])
        config = yaml.safe_load((folder / CONFIG_FILE).read_text()) or {}
        return cls(
            family, meta["labels"], config, meta.get("temperature", 1.0), meta.get("label_bias")
        )
