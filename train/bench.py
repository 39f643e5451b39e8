"""Benchmarks: `make train` wall time for the default set, each family's scores and speed.

    python -m train.bench [--exp tfidf_logreg,embed_logreg,minilm_finetune]
    make bench                  # writes tests/bench/results.json

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


def bench_train(exp: str) -> dict:
    """Run the real training entry point into a scratch store; read the runs back."""
    from train import tracking

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        uri = f"sqlite:///{tmp}/store/mlflow.db"
        env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "train.run", "--exp", exp, f"export.dir={tmp}/champion"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - start
        tracking.use_store(uri)
        runs = tracking.finished_runs("news-sentence-labels")
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
    args = parser.parse_args(argv)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "train": bench_train(args.exp),
    }
    write_results(results, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
