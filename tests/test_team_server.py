"""The team server for real: a throwaway PostgreSQL cluster (initdb / pg_ctl on a free loopback
port), `python -m train.team_server` on top of it, a smoke training against it, and the
registered champion loaded back through the server."""

from __future__ import annotations

import glob
import io
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import LABELS, PY, ROOT, free_port, run_train

pytestmark = pytest.mark.e2e


def _pg_bin(name: str) -> str:
    """Debian keeps the server tools in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: apt-get install -y postgresql")
    return found


def _as_db_user() -> tuple[list[str], pwd.struct_passwd | None]:
    """PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root needs the 'postgres' user (apt-get install postgresql)")
    return ["runuser", "-u", "postgres", "--"], user


def _run(cmd: list[str], log: Path | None = None) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        extra = log.read_text()[-2000:] if log and log.exists() else ""
        pytest.fail(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}{extra}")


@pytest.fixture
def postgres() -> Iterator[str]:
    """A fresh cluster and an `mlflow` database; stopped and deleted afterwards."""
    prefix, user = _as_db_user()
    # Not pytest's tmp_path: its parents are private to the current user, so `postgres`
    # could not reach a folder there.
    home = Path(tempfile.mkdtemp(prefix="news-kit-pg-"))
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    data, log, port = home / "data", home / "server.log", free_port()
    initdb = [_pg_bin("initdb"), "-D", str(data), "-U", "mlflow", "--auth=trust", "-E", "UTF8"]
    _run([*prefix, *initdb, "--no-sync", "--no-instructions"])
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    try:
        _run([*pg_ctl, "-l", str(log), "-o", options, "start"], log)
        import psycopg2

        conn = psycopg2.connect(f"postgresql://mlflow@127.0.0.1:{port}/postgres")
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        conn.cursor().execute("CREATE DATABASE mlflow")
        conn.close()
        yield f"postgresql://mlflow@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def team_server(postgres: str, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`python -m train.team_server` on a free loopback port; its whole process group is
    stopped afterwards (mlflow server runs uvicorn workers as children)."""
    port, artifacts = free_port(), tmp_path / "artifacts"
    log = (tmp_path / "server.log").open("w")
    # The job runner serves MLflow's GenAI jobs; this project has none and it slows startup.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    proc = subprocess.Popen(
        [PY, "-m", "train.team_server", "--backend-store-uri", postgres,
         "--artifacts-destination", str(artifacts), "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 150
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("team server did not start:\n" + _tail(tmp_path / "server.log"))
                time.sleep(0.5)
        yield url, postgres, artifacts
    finally:
        _stop_group(proc)
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def test_team_server_on_postgres_tracks_registers_and_serves_the_champion(team_server, tmp_path):
    url, postgres, artifacts = team_server
    stdout = run_train("smoke_tfidf_logreg", tmp_path / "champ", url, timeout=600)
    assert f"tracking to {url}" in stdout

    # The runs and the registry live in PostgreSQL, the model files in the artifact folder.
    import psycopg2

    with psycopg2.connect(postgres) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, status FROM runs")
        runs = dict(cur.fetchall())
        query = "SELECT alias FROM registered_model_aliases WHERE name = %s"
        cur.execute(query, ["news-sentence-labeler"])
        aliases = [row[0] for row in cur.fetchall()]
    assert runs.get("smoke_tfidf_logreg") == "FINISHED", runs
    assert aliases == ["champion"]
    assert list(artifacts.rglob("MLmodel")), "no model files under --artifacts-destination"

    # Loaded as a team member would, in a fresh process: `models:/` resolves through the
    # process-wide tracking URI, and setting that here would leak into later tests.
    load = (
        "import sys, mlflow; m = mlflow.pyfunc.load_model(sys.argv[1]); "
        "print(m.predict(sys.argv[2:]).to_json(orient='split'))"
    )
    texts = ["The minister resigned on Monday.", "Share this article"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": url}
    out = subprocess.run(
        [PY, "-c", load, "models:/news-sentence-labeler@champion", *texts],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = pd.read_json(io.StringIO(out.stdout.strip().splitlines()[-1]), orient="split")
    assert list(result.columns) == ["label", *(f"prob_{x}" for x in LABELS)]
    assert len(result) == 2 and set(result["label"]) <= set(LABELS)
    probs = result[[f"prob_{x}" for x in LABELS]].sum(axis=1)
    assert ((probs - 1).abs() < 1e-6).all()


def test_team_server_refuses_a_store_that_is_not_a_reachable_postgres(tmp_path):
    def start(uri: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PY, "-m", "train.team_server", "--backend-store-uri", uri,
             "--artifacts-destination", str(tmp_path / "a"), "--port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    out = start(f"sqlite:///{tmp_path / 'x.db'}")
    assert out.returncode == 2 and "is not PostgreSQL" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr

    port = free_port()  # nothing listens here
    out = start(f"postgresql://mlflow:s3cret@127.0.0.1:{port}/mlflow")
    assert out.returncode == 2 and "cannot connect to" in out.stderr, out.stderr
    assert str(port) in out.stderr and "s3cret" not in out.stderr  # the password is redacted
    assert "Traceback" not in out.stderr
