"""`make bench`: the timed `make train` reads back exactly the runs it made, and by default
leaves the project's store and champion alone."""

from __future__ import annotations

import json
import subprocess

from conftest import PY, ROOT


def test_bench_times_training_into_a_scratch_store(tmp_path):
    champion = ROOT / "models" / "champion" / "MLmodel"
    before = champion.stat().st_mtime_ns if champion.exists() else None
    out = tmp_path / "results.json"
    subprocess.run(
        [PY, "-m", "train.bench", "--exp", "smoke_tfidf_logreg", "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    train = json.loads(out.read_text())["train"]
    assert train["make_train_wall_seconds"] > 0
    assert list(train["runs"]) == ["smoke_tfidf_logreg"]
    run = train["runs"]["smoke_tfidf_logreg"]
    assert run["family"] == "tfidf_logreg"
    assert 0.0 <= run["val_macro_f1"] <= 1.0 and run["infer_sentences_per_s"] > 0
    after = champion.stat().st_mtime_ns if champion.exists() else None
    assert after == before
