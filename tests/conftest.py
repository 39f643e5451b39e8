"""Shared fixtures: real files, a real SQLite MLflow store in a temp folder, real subprocesses."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LABELS = ["factual_claim", "hedged_claim", "attribution", "opinion", "boilerplate"]
SMOKE_SET = "smoke_tfidf_logreg,smoke_embed_logreg,smoke_minilm_finetune,smoke_minilm_context"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


EXAMPLES = {
    "factual_claim": "The council voted {n} to 2 to close the depot on Friday.",
    "hedged_claim": "The depot may have been losing money for {n} years.",
    "attribution": "The mayor said {n} jobs would move to the new site.",
    "opinion": "Closing a depot after {n} years is a short-sighted mistake.",
    "boilerplate": "Share this article ({n} comments)",
}


@pytest.fixture
def labelled_rows() -> list[dict]:
    """30 small documents, 5 sentences each, one per label: enough for every split."""
    rows = []
    for d in range(30):
        for i, (label, text) in enumerate(EXAMPLES.items()):
            rows.append(
                {"doc_id": f"d{d}", "sent_idx": i, "text": text.format(n=d + 3), "label": label}
            )
    return rows


@pytest.fixture(autouse=True)
def _forget_tracking_uri():
    """mlflow.set_tracking_uri also writes MLFLOW_TRACKING_URI into the environment; without
    this, one test's store would silently become the next test's."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    import mlflow

    mlflow.set_tracking_uri(None)
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite tracking store; MLFLOW_TRACKING_URI points at it for subprocesses too."""
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    (tmp_path / "store").mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture(scope="session")
def smoke_champion(tmp_path_factory) -> Path:
    """A real exported champion (TF-IDF smoke run into a scratch store), shared by tests."""
    return train_champion(tmp_path_factory.mktemp("champion"), "smoke_tfidf_logreg")


def run_train(
    experiment: str, export_dir: Path, uri: str, drop_env: tuple[str, ...] = (), timeout: int = 900
) -> str:
    """Run the real training entry point against the tracking store `uri`, exporting to
    `export_dir`; assert it succeeded and return what it printed. `drop_env` names
    variables the child must not inherit."""
    import subprocess

    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    for name in drop_env:
        env.pop(name, None)
    out = subprocess.run(
        [PY, "-m", "train.run", "--exp", experiment, f"export.dir={export_dir}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def train_champion(tmp: Path, experiment: str, drop_env: tuple[str, ...] = ()) -> Path:
    """Train `experiment` for real into a scratch store under `tmp`; return the exported
    model folder."""
    uri = f"sqlite:///{tmp / 'store' / 'mlflow.db'}"
    run_train(experiment, tmp / "champion", uri, drop_env)
    return tmp / "champion"
