"""REST serving: the real `mlflow models serve` on 127.0.0.1, as `make serve` runs it:

    mlflow models serve -m models/champion --env-manager local -h 127.0.0.1 -p 5001

with .venv/bin on PATH, since MLflow starts `uvicorn` by name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
import pytest
from conftest import EXAMPLES, LABELS, free_port

TEXTS = [
    EXAMPLES["boilerplate"].format(n=12),
    EXAMPLES["attribution"].format(n=40),
    "",
    EXAMPLES["factual_claim"].format(n=7),
    EXAMPLES["opinion"].format(n=30),
    EXAMPLES["hedged_claim"].format(n=5),
]


@pytest.fixture(scope="module")
def server(smoke_champion: Path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        # MLflow execs `uvicorn` by name: without the venv on PATH it fails with exit 127.
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        # Keeps any store MLflow might open out of the working tree.
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}",
    }
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(bin_dir / "mlflow"), "models", "serve", "-m", str(smoke_champion),
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: uvicorn and its worker stop with it
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mlflow models serve exited {proc.returncode}:\n{_tail(tmp)}")
            if time.time() > deadline:
                pytest.fail(f"mlflow models serve did not answer /ping in 90 s:\n{_tail(tmp)}")
            try:
                urllib.request.urlopen(f"{url}/ping", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _tail(folder: Path) -> str:
    return (folder / "serve.log").read_text(errors="replace")[-3000:]


def _post(url: str, payload: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/invocations",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def expected(smoke_champion: Path):
    """What the same model says in-process: the REST answer must match it row for row."""
    return mlflow.pyfunc.load_model(str(smoke_champion)).predict(TEXTS)


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_records": [{"text": t} for t in TEXTS]},
        {"inputs": TEXTS},
        {"dataframe_split": {"columns": ["text"], "data": [[t] for t in TEXTS]}},
    ],
    ids=["dataframe_records", "inputs", "dataframe_split"],
)
def test_invocations_return_the_contract_in_input_order(server, expected, payload):
    status, body = _post(server, payload)
    assert status == 200, body
    rows = body["predictions"]
    assert len(rows) == len(TEXTS)
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        assert list(row) == ["label"] + [f"prob_{x}" for x in LABELS]
        assert row["label"] in LABELS
        assert sum(row[f"prob_{x}"] for x in LABELS) == pytest.approx(1.0, abs=1e-9)
        assert row["label"] == max(LABELS, key=lambda x: row[f"prob_{x}"])
        # Same row as the in-process model: proves input order, not just the shape.
        assert row["label"] == want["label"]
        for x in LABELS:
            assert row[f"prob_{x}"] == pytest.approx(want[f"prob_{x}"], abs=1e-9)


def test_rows_without_a_text_column_get_a_400_naming_it(server):
    record = {"sentence": "The mayor resigned.", "source": "wire"}  # one column would be used
    status, body = _post(server, {"dataframe_records": [record]})
    assert status == 400
    assert "input needs a 'text' column (got: sentence, source)" in json.dumps(body)
