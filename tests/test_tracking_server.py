"""Training against a real `mlflow server` on 127.0.0.1, as a team would run it."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request

import mlflow
import pytest
from conftest import PY, ROOT, free_port, run_train

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "mlflow"), "server",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", str(tmp_path / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("mlflow server did not start within 90 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_train_against_a_tracking_server_and_load_the_registered_champion(server, tmp_path):
    stdout = run_train("smoke_tfidf_logreg", tmp_path / "champ", server, timeout=600)
    assert f"tracking to {server}" in stdout
    mlflow.set_tracking_uri(server)
    model = mlflow.pyfunc.load_model("models:/news-sentence-labeler@champion")
    result = model.predict(["The minister resigned on Monday."])
    assert len(result) == 1 and result["label"][0] in {
        "factual_claim", "hedged_claim", "attribution", "opinion", "boilerplate",
    }  # fmt: skip


def test_unreachable_server_fails_fast_with_a_clear_message(tmp_path):
    port = free_port()  # nothing listens here
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"}
    start = time.time()
    out = subprocess.run(
        [PY, "-m", "train.run", "--exp", "smoke_tfidf_logreg", f"export.dir={tmp_path / 'c'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert "unreachable" in out.stderr and str(port) in out.stderr
    assert time.time() - start < 60
    assert not (tmp_path / "c").exists()
