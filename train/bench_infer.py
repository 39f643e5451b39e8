"""Inference speed of a fine-tuned model's backends, against TF-IDF, in one run on one machine.

    python -m train.bench_infer --model models/champion --out tests/bench/infer.json
    make bench-infer MODEL=models/champion

Times PyTorch eager, ONNX fp32 and ONNX int8 (train.families.onnx_runtime) on the same 2,000
sentences of the built-in corpus's test split (cycled: the split has fewer), and a TF-IDF model
trained here on the train split. Also measures what the speed costs: fp32 label parity with
PyTorch and the int8 macro-F1 change, on the test split's unique sentences. Each backend runs
`--repeats` times, interleaved, and the fastest pass counts: other jobs on the machine only ever
slow a pass down. Sentences/s are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from train.bench import write_results
from train.config import ConfigError, DataConfig, load_config
from train.data import DataError
from train.labeler import META_FILE, MODEL_DIR
from train.provenance import version

BACKENDS = ("torch", "onnx-fp32", "onnx-int8")


class BenchError(RuntimeError):
    """Bad input to the benchmark, phrased for the user."""


def labeler_folder(model: Path) -> Path:
    """An exported MLflow model folder, or the labeler folder inside one."""
    for folder in (model / "artifacts" / "labeler", model):
        if (folder / META_FILE).exists():
            return folder
    raise BenchError(f"{model}: not an exported model (no artifacts/labeler/{META_FILE})")


def load_backends(folder: Path) -> tuple[dict[str, object], str, list[str]]:
    """One FineTuned per backend from the same saved weights, plus the backend that loading
    without a choice picks (what `mlflow.pyfunc.load_model` users get)."""
    from train.families.finetune import FineTuned

    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if meta.get("family") != FineTuned.name:
        raise BenchError(f"{folder / META_FILE}: family is '{meta.get('family')}', not minilm")
    labels = meta["labels"]
    families = {}
    for backend in BACKENDS:
        family = FineTuned.load(folder / MODEL_DIR, labels, backend=backend)
        if family.backend != backend:
            raise BenchError(
                f"{folder / MODEL_DIR}: cannot run {backend} (no ONNX files, or onnxruntime "
                "missing); models exported before ONNX support need retraining"
            )
        families[backend] = family
    default = FineTuned.load(folder / MODEL_DIR, labels).backend
    return families, default, labels


def tfidf_predictor(labels: list[str], seed: int) -> tuple[Callable, float]:
    """The tfidf_logreg experiment's model, trained on the corpus train split."""
    from train.data import load_data
    from train.families.tfidf import TfidfLogReg

    cfg = load_config("tfidf_logreg")
    data = load_data(DataConfig(), labels, seed)
    family = TfidfLogReg(cfg.model.params, labels, seed)
    start = time.perf_counter()
    family.fit(data.splits["train"], data.splits["validation"], report=lambda m, s: None)
    return family.predict_proba, time.perf_counter() - start


def timed(
    predictors: dict[str, Callable], texts: list[str], contexts: list[str], repeats: int
) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Seconds per pass for each predictor, passes interleaved; and each one's probabilities."""
    seconds: dict[str, list[float]] = {name: [] for name in predictors}
    proba: dict[str, np.ndarray] = {}
    for predict in predictors.values():
        predict(texts[:64], contexts[:64])  # first-call costs: thread pools, allocations
    for _ in range(repeats):
        for name, predict in predictors.items():
            start = time.perf_counter()
            proba[name] = np.asarray(predict(texts, contexts))
            seconds[name].append(time.perf_counter() - start)
    return seconds, proba


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def run(model: Path, n: int, repeats: int, seed: int) -> dict:
    from train.data import load_data
    from train.metrics import macro_f1

    folder = labeler_folder(model)
    families, default, labels = load_backends(folder)
    test = load_data(DataConfig(), labels, seed).splits["test"]
    unique = len(test)
    picks = [i % unique for i in range(n)]
    texts = [test.texts[i] for i in picks]
    contexts = [test.contexts[i] if test.contexts else "" for i in picks]

    tfidf, tfidf_train_s = tfidf_predictor(labels, seed)
    predictors = {name: family.predict_proba for name, family in families.items()}
    predictors["tfidf_logreg"] = tfidf
    seconds, proba = timed(predictors, texts, contexts, repeats)

    # Scores on each test sentence once: the cycled copies would only weight some twice.
    gold = test.labels
    pred = {name: p[:unique].argmax(1) for name, p in proba.items()}
    f1 = {name: macro_f1(gold, y) for name, y in pred.items()}
    speed = {name: n / min(s) for name, s in seconds.items()}
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "torch_threads": torch_threads(),
            "versions": {p: version(p) for p in ("torch", "onnxruntime", "scikit-learn")},
        },
        "model": str(model),
        "sentences": n,
        "unique_test_sentences": unique,
        "repeats": repeats,
        "default_backend": default,
        "sentences_per_s": {name: round(v, 1) for name, v in speed.items()},
        "seconds_per_pass": {name: [round(x, 3) for x in s] for name, s in seconds.items()},
        "speedup_vs_torch": {name: round(v / speed["torch"], 2) for name, v in speed.items()},
        "default_speedup_vs_torch": round(speed[default] / speed["torch"], 2),
        "test_macro_f1": {name: round(v, 4) for name, v in f1.items()},
        "fp32_label_parity": round(float((pred["onnx-fp32"] == pred["torch"]).mean()), 5),
        "fp32_max_abs_prob_diff": float(
            np.abs(proba["onnx-fp32"][:unique] - proba["torch"][:unique]).max()
        ),
        "int8_label_agreement_with_fp32": round(
            float((pred["onnx-int8"] == pred["onnx-fp32"]).mean()), 5
        ),
        "int8_macro_f1_delta_points": round(100 * (f1["onnx-int8"] - f1["onnx-fp32"]), 3),
        "tfidf_train_seconds": round(tfidf_train_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an exported minilm model folder")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13, help="as in configs/base.yaml")
    args = parser.parse_args(argv)
    if args.sentences < 1 or args.repeats < 1:
        print("error: --sentences and --repeats must be ≥ 1", file=sys.stderr)
        return 2
    model = Path(args.model)
    try:
        results = run(model, args.sentences, args.repeats, args.seed)
    except (BenchError, ConfigError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_results(results, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
