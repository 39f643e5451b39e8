"""Load labelled sentences with Hugging Face `datasets` and hand each split to the families.

Sources (config key `data.source`):
  builtin                  the corpus shipped in data/corpus.jsonl (splits fixed per document)
  path/to/file.{csv,jsonl,json,parquet}
                           a user file; `data.text_column`, `data.label_column` and
                           `data.label_map` adapt it; without a split column it is split
                           80/10/10 by document (or by row) with the config's seed
  hf:<dataset id>          a hub dataset, for users online (HF_HUB_OFFLINE=0)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from train.config import ROOT, DataConfig
from train.context import neighbour_context
from train.families.base import TextSplit

BUILTIN = ROOT / "data" / "corpus.jsonl"
SPLITS = ("train", "validation", "test")
_SPLIT_ALIASES = {"valid": "validation", "val": "validation", "dev": "validation"}


class DataError(ValueError):
    """Bad input data, phrased for the user: it names the file and the line."""


@dataclass
class LoadedData:
    splits: dict[str, TextSplit]
    frames: dict[str, pd.DataFrame]  # text, label (name), doc_id, split: for logging
    source: str
    digest: str


def _line_of(row: int, fmt: str) -> str:
    # Row i of a JSON Lines file is on line i+1; a CSV has its header on line 1.
    return {"json": f"line {row + 1}", "csv": f"line {row + 2}"}.get(fmt, f"row {row}")


def _prescan(path: Path, fmt: str) -> None:
    """Catch what `datasets` reports badly (encoding, broken lines, ragged rows) by line."""
    if fmt == "parquet":
        return
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: line {number}: not valid UTF-8 ({exc.reason})") from exc
        if fmt == "json" and text.strip():
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DataError(f"{path}: line {number}: expected a JSON object")
    if fmt == "csv":
        rows = csv.reader(io.StringIO(raw.decode("utf-8")))
        header = next(rows, [])
        for number, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                raise DataError(
                    f"{path}: line {number}: {len(row)} fields, the header has {len(header)}"
                )


def read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A labelled file as a DataFrame, plus its format ("csv", "json" or "parquet")."""
    from datasets import load_dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # one bar per tiny cast step drowns the training output

    fmt = {".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise DataError(f"{path}: unsupported file type (use .csv, .jsonl or .parquet)")
    if not path.exists():
        raise DataError(f"{path}: no such file")
    _prescan(path, fmt)
    try:
        ds = load_dataset(fmt, data_files=str(path), split="train")
    except Exception as exc:  # datasets wraps parser errors in many types
        raise DataError(f"{path}: could not be read: {exc}") from exc
    return ds.to_pandas(), fmt


def _read_hub(name: str) -> pd.DataFrame:
    from datasets import load_dataset

    try:
        dd = load_dataset(name)
    except Exception as exc:
        raise DataError(
            f"hf:{name}: could not load from the hub ({exc}); offline by default: "
            f"set HF_HUB_OFFLINE=0 to allow downloads"
        ) from exc
    frames = []
    for split, ds in dd.items():
        frame = ds.to_pandas()
        frame["split"] = split
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _assign_splits(frame: pd.DataFrame, cfg: DataConfig, seed: int) -> pd.Series:
    """80/10/10 by document (so no document straddles two splits), seeded."""
    groups = frame[cfg.doc_column] if cfg.doc_column in frame else pd.Series(frame.index)
    unique = np.array(sorted(set(groups.astype(str))))
    np.random.default_rng(seed).shuffle(unique)
    n = len(unique)
    cut1, cut2 = round(n * 0.8), round(n * 0.9)
    which = {g: "train" for g in unique[:cut1]}
    which.update({g: "validation" for g in unique[cut1:cut2]})
    which.update({g: "test" for g in unique[cut2:]})
    return groups.astype(str).map(which)


def validate_frame(
    frame: pd.DataFrame, cfg: DataConfig, labels: list[str], where: str, fmt: str, seed: int = 0
) -> pd.DataFrame:
    """Check columns, texts and labels; return text/label/doc_id/split columns."""
    for column in (cfg.text_column, cfg.label_column):
        if column not in frame.columns:
            raise DataError(
                f"{where}: missing column '{column}' "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
    out = pd.DataFrame({"text": frame[cfg.text_column], "label": frame[cfg.label_column]})
    out["label"] = out["label"].map(lambda v: cfg.label_map.get(str(v), v))
    for row, (text, label) in enumerate(zip(out["text"], out["label"], strict=True)):
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{where}: {_line_of(row, fmt)}: empty text")
        if label not in labels:
            raise DataError(
                f"{where}: {_line_of(row, fmt)}: unknown label {label!r} "
                f"(known: {', '.join(labels)}; map others with data.label_map)"
            )
    out["doc_id"] = frame[cfg.doc_column].astype(str) if cfg.doc_column in frame else ""
    # Reading order inside a document: the file's sent_idx, else the order of the rows.
    if "sent_idx" in frame:
        out["sent_idx"] = pd.to_numeric(frame["sent_idx"], errors="coerce").fillna(0).astype(int)
    else:
        out["sent_idx"] = out.groupby("doc_id").cumcount()
    if cfg.split_column and cfg.split_column in frame:
        out["split"] = frame[cfg.split_column].map(lambda s: _SPLIT_ALIASES.get(s, s))
        bad = out.index[~out["split"].isin(SPLITS)]
        if len(bad):
            row = int(bad[0])
            raise DataError(
                f"{where}: {_line_of(row, fmt)}: unknown split {frame[cfg.split_column][row]!r}"
            )
    else:
        out["split"] = _assign_splits(frame, cfg, seed)
    return out


def _cap(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    if not max_rows or len(frame) <= max_rows:
        return frame
    return frame.sample(n=max_rows, random_state=seed).sort_index()


def corpus_dataset(labels: list[str], path: Path = BUILTIN):
    """The built-in corpus as a `datasets.DatasetDict` (train / validation / test), with
    `label` a ClassLabel in the config's label order:

        from train.config import default_labels
        from train.data import corpus_dataset
        dd = corpus_dataset(default_labels())
    """
    from datasets import ClassLabel, DatasetDict, load_dataset

    ds = load_dataset("json", data_files=str(path), split="train")
    ds = ds.cast_column("label", ClassLabel(names=labels))
    return DatasetDict({s: ds.filter(lambda row, s=s: row["split"] == s) for s in SPLITS})


def absent_labels(split: TextSplit, labels: list[str]) -> str:
    """The labels `split` has no example of, comma-separated in label order ("" if none)."""
    present = set(split.labels.tolist())
    return ", ".join(label for i, label in enumerate(labels) if i not in present)


def load_data(cfg: DataConfig, labels: list[str], seed: int) -> LoadedData:
    """Read, validate and split; each split returned in file order."""
    from datasets import ClassLabel, Dataset

    if cfg.source == "builtin":
        path = BUILTIN
        frame, fmt = read_table(path)
        where = str(path.relative_to(ROOT))
    elif cfg.source.startswith("hf:"):
        frame, fmt, where = _read_hub(cfg.source[3:]), "hub", cfg.source
    else:
        path = Path(cfg.source).expanduser()
        frame, fmt = read_table(path if path.is_absolute() else Path.cwd() / path)
        where = cfg.source
    table = validate_frame(frame, cfg, labels, where, fmt, seed)
    # A document in two splits would leak its neighbours' wording into evaluation.
    if (table["doc_id"] != "").any():
        spread = table[table["doc_id"] != ""].groupby("doc_id")["split"].nunique()
        if (spread > 1).any():
            raise DataError(f"{where}: document '{spread[spread > 1].index[0]}' is in two splits")

    has_docs = bool((table["doc_id"] != "").any())
    table["context"] = neighbour_context(
        table["text"].tolist(),
        table["doc_id"].tolist() if has_docs else None,
        table["sent_idx"].tolist(),
    )
    splits, frames = {}, {}
    for name in SPLITS:
        part = _cap(table[table["split"] == name], cfg.max_rows, seed).reset_index(drop=True)
        if part.empty:
            raise DataError(f"{where}: the '{name}' split is empty")
        # Through `datasets` so label ids come from one ClassLabel in the config's order.
        ds = Dataset.from_pandas(part[["text", "label"]], preserve_index=False)
        ds = ds.cast_column("label", ClassLabel(names=labels))
        splits[name] = TextSplit(
            texts=list(ds["text"]),
            labels=np.asarray(ds["label"], dtype=np.int64),
            doc_ids=part["doc_id"].tolist(),
            contexts=part["context"].tolist(),
        )
        frames[name] = part.drop(columns=["context"])
    names = absent_labels(splits["train"], labels)
    if names and not cfg.max_rows:
        raise DataError(f"{where}: no training example for label(s) {names}")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(table[["text", "label", "split"]], index=False).values
    ).hexdigest()[:16]
    return LoadedData(splits=splits, frames=frames, source=where, digest=digest)
