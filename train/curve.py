"""Learning curve: would more labelled data help? Train one experiment on growing shares of
the training documents and compare the scores.

    python -m train.curve --exp tfidf_logreg [--fractions 0.25,0.5,0.75,1] [key.sub=value ...]
    make curve EXP=tfidf_logreg

One MLflow parent run `curve-<exp>-<stamp>` holds a child run per share (`<exp>-<pct>pct`,
tagged kind=curve and train_fraction), each logged exactly like a `make train` run, real-news
dev scores included where ../shared exists. Nothing is registered or exported. Whole
documents are sampled (a page's sentences share a writer, so sampling sentences would flatter
small shares), nested: each share holds every document of the smaller ones. Validation and
test never change, so the rows compare like with like.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from datetime import datetime

import numpy as np

from train import provenance, tracking
from train.config import ConfigError, load_config
from train.data import DataError, LoadedData, absent_labels, load_data
from train.encoder import EncoderError
from train.families.base import TextSplit
from train.run import train_one
from train.select import RunResult


def parse_fractions(text: str) -> list[float]:
    """'0.25,0.5,1' -> [0.25, 0.5, 1.0], checked: each in (0, 1], ascending order."""
    try:
        values = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError as exc:
        raise ConfigError(f"--fractions: expected numbers like 0.25,0.5,1, got '{text}'") from exc
    if not values or values[0] <= 0 or values[-1] > 1:
        raise ConfigError(f"--fractions: each share must be in (0, 1], got '{text}'")
    return values


def subsample(data: LoadedData, fraction: float, seed: int) -> LoadedData:
    """`data` with its training split cut to `fraction` of its documents (rows where there
    are no document ids). One seeded order for every fraction makes the shares nested."""
    train = data.splits["train"]
    keys = np.asarray(train.doc_ids if any(train.doc_ids) else range(len(train)), dtype=str)
    order = np.random.default_rng(seed).permutation(np.unique(keys))
    keep = set(order[: max(1, round(fraction * len(order)))])
    rows = np.flatnonzero([k in keep for k in keys])
    part = TextSplit(
        texts=[train.texts[i] for i in rows],
        labels=train.labels[rows],
        doc_ids=[train.doc_ids[i] for i in rows] if train.doc_ids else [],
        contexts=[train.contexts[i] for i in rows] if train.contexts else [],
    )
    frames = {**data.frames, "train": data.frames["train"].iloc[rows].reset_index(drop=True)}
    return dataclasses.replace(data, splits={**data.splits, "train": part}, frames=frames)


def table(rows: list[tuple[float, int, RunResult]]) -> str:
    real = any("realnews_dev_macro_f1" in r.metrics for _, _, r in rows)
    head = f"{'share':>6}{'sentences':>11}{'val F1':>8}{'± se':>7}{'test F1':>9}"
    head += f"{'real-news F1':>14}" if real else ""
    lines = [head, "-" * len(head)]
    for fraction, size, r in rows:
        m = r.metrics
        line = f"{fraction:>6.0%}{size:>11}{m['val_macro_f1']:>8.3f}"
        line += f"{m.get('val_macro_f1_se', 0.0):>7.3f}{m['test_macro_f1']:>9.3f}"
        line += f"{m.get('realnews_dev_macro_f1', float('nan')):>14.3f}" if real else ""
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp", required=True, help="one experiment name")
    parser.add_argument("--fractions", default="0.25,0.5,0.75,1", help="shares of train docs")
    parser.add_argument("overrides", nargs="*", help="key.sub=value")
    args = parser.parse_args(argv)
    try:
        if "," in args.exp:
            raise ConfigError(f"--exp: one experiment per curve, got '{args.exp}'")
        fractions = parse_fractions(args.fractions)
        base = load_config(args.exp, args.overrides)
        data = load_data(base.data, base.labels, base.seed)
        parts = {f: subsample(data, f, base.seed) for f in fractions}
        for fraction, part in parts.items():
            if names := absent_labels(part.splits["train"], base.labels):
                raise DataError(
                    f"--fractions: {fraction:g} of the training documents has no example of "
                    f"{names}; start the curve at a larger share"
                )
        uri = tracking.setup(base.tracking)
    except (ConfigError, DataError, EncoderError, tracking.TrackingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"tracking to {uri}, experiment '{base.tracking.experiment}'")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    rows: list[tuple[float, int, RunResult]] = []
    try:
        tags = {"kind": "curve", **provenance.tags()}
        with tracking.run(f"curve-{base.name}-{stamp}", tags=tags) as parent:
            for fraction in fractions:
                cfg = dataclasses.replace(base, name=f"{base.name}-{round(fraction * 100)}pct")
                part = parts[fraction]
                extra = {"kind": "curve", "train_fraction": f"{fraction:g}"}
                rows.append(
                    (fraction, len(part.splits["train"]), train_one(cfg, part, parent, extra))
                )
    except KeyboardInterrupt:
        print("\ninterrupted: open runs are marked KILLED", file=sys.stderr)
        return 130
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
