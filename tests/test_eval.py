"""`make eval` / `make eval-real` against a real exported model and a real store."""

from __future__ import annotations

import json
import subprocess

import mlflow
from conftest import ROOT, write_jsonl
from mlflow.tracking import MlflowClient


def test_eval_logs_a_linked_run_with_errors_in_context(
    store, smoke_champion, tmp_path, labelled_rows
):
    data = write_jsonl(tmp_path / "held_out.jsonl", labelled_rows[:40])
    out = subprocess.run(
        ["make", "eval", f"DATA={data}", f"MODEL={smoke_champion}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "eval-held_out: 40 sentences" in out.stdout and "macro-F1" in out.stdout
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("news-sentence-labels")
    (run,) = client.search_runs([exp.experiment_id], "tags.kind = 'evaluation'")
    assert run.data.tags["evaluated_model"] == str(smoke_champion)
    assert 0.0 <= run.data.metrics["eval_macro_f1"] <= 1.0
    assert "eval_f1_hedged_claim" in run.data.metrics
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"confusion.png", "report.txt", "errors.json"} <= files
    errors = json.loads(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/errors.json"))
    assert {"previous", "text", "next", "true", "predicted"} <= set(errors["columns"])


def test_eval_real_runs_on_the_file_it_is_given_and_explains_when_absent(
    store, smoke_champion, tmp_path, labelled_rows
):
    data = write_jsonl(tmp_path / "real.jsonl", labelled_rows[:25])
    ok = subprocess.run(
        ["make", "eval-real", f"REAL_NEWS={data}", f"MODEL={smoke_champion}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ok.returncode == 0 and "eval-real-news-dev: 25 sentences" in ok.stdout
    absent = subprocess.run(
        ["make", "eval-real", f"REAL_NEWS={tmp_path / 'missing.jsonl'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert absent.returncode == 0 and "nothing to evaluate" in absent.stdout


def test_eval_rejects_a_label_the_model_does_not_know(
    store, smoke_champion, tmp_path, labelled_rows
):
    labelled_rows[3]["label"] = "satire"
    data = write_jsonl(tmp_path / "bad.jsonl", labelled_rows[:10])
    out = subprocess.run(
        ["make", "eval", f"DATA={data}", f"MODEL={smoke_champion}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode != 0
    assert "line 4: unknown label 'satire'" in out.stderr
