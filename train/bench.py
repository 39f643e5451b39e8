"""Benchmarks: `make train` wall time for the default set, each family's scores and speed.

    python -m train.bench [--exp tfidf_logreg,embed_logreg,minilm_finetune] [--in-place]
    make bench                  # writes tests/bench/results.json

By default the timed `make train` writes to a scratch store and export folder, so a benchmark
never replaces your champion; `--in-place` times the real thing (./mlruns, models/champion).

Timings are figures to read, never assertions: the first minutes after a machine boots can be
ten times slower. Ratios are taken within one run so they compare like with like.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from train.config import ROOT

DEFAULT_SET = "tfidf_logreg,embed_logreg,minilm_finetune,minilm_context"
RESULTS = ROOT / "tests" / "bench" / "results.json"


def bench_train(exp: str, in_place: bool = False) -> dict:
    """Run the real training entry point (into a scratch store unless `in_place`); read the
    runs it made back from the store."""
    from train import tracking
    from train.config import load_config

    cfg = load_config(exp.split(",")[0])
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        uri = tracking.resolve_uri(cfg.tracking) if in_place else f"sqlite:///{tmp}/mlflow.db"
        env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
        extra = [] if in_place else [f"export.dir={tmp}/champion"]
        began_ms, start = time.time() * 1000, time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "train.run", "--exp", exp, *extra], cwd=ROOT, env=env, check=True
        )
        wall = time.perf_counter() - start
        tracking.use_store(uri)
        runs = [
            r for r in tracking.finished_runs(cfg.tracking.experiment) if r["start_ms"] >= began_ms
        ]
    families = {}
    for run in runs:
        m = run["metrics"]
        families[run["name"]] = {
            "family": run["family"],
            "val_macro_f1": round(m["val_macro_f1"], 4),
            "test_macro_f1": round(m["test_macro_f1"], 4),
            "realnews_dev_macro_f1": round(m.get("realnews_dev_macro_f1", float("nan")), 4),
            "train_seconds": round(m["train_seconds"], 1),
            "infer_sentences_per_s": round(m["infer_sentences_per_s"], 1),
        }
    return {"make_train_wall_seconds": round(wall, 1), "target_seconds": 900, "runs": families}


def write_results(results: dict, out: Path) -> None:
    """Write a benchmark's figures as JSON (the file `make bench` keeps) and show them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp", default=DEFAULT_SET)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--in-place", action="store_true", help="use ./mlruns and models/champion")
    args = parser.parse_args(argv)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "train": bench_train(args.exp, args.in_place),
    }
    write_results(results, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
