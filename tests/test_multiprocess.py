"""Multi-process training as a multi-GPU launch does it, here with two CPU processes over gloo
(`torchrun`; `accelerate launch --cpu` starts one process unless MPI is installed): both
processes train one model together, only rank 0 creates MLflow runs, registers and exports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import mlflow
import pytest
from conftest import LABELS, PY, ROOT
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.e2e

# The Trainer's unlabelled tqdm bars ("  0%|    | 0/2 ["); labelled ones load or write weights.
BAR = re.compile(r"(?:^|[\r\n])(?:\x1b\[A)?\s*\d+%\|[^|\r\n]*\| *\d+/(\d+) \[")


def test_two_processes_train_together_and_only_rank_0_tracks_and_exports(store, tmp_path):
    torchrun = str(Path(PY).with_name("torchrun"))
    out = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "train.run",
         "--exp", "smoke_minilm_finetune", f"export.dir={tmp_path / 'champ'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert "[rank 1] [smoke_minilm_finetune] training minilm_finetune (not tracked)" in log
    assert log.count("tracking to ") == 1 and log.count("exported to ") == 1

    # Data parallel for real: 60 training sentences at 32 per process make one step per
    # process (a single process needs two), so no progress bar counts to 2.
    totals = {int(t) for t in BAR.findall(log)}
    assert totals == {1}, totals

    client = MlflowClient(store)  # not mlflow.set_tracking_uri: it leaks into later tests
    runs = client.search_runs([client.get_experiment_by_name("news-sentence-labels").experiment_id])
    assert sorted(r.data.tags["kind"] for r in runs) == ["experiment", "train"]
    assert all(r.info.status == "FINISHED" for r in runs)
    (run,) = [r for r in runs if r.data.tags["kind"] == "experiment"]
    # One step from an untrained 5-way head: a loss near ln 5 = 1.61. The Trainer scales a
    # custom loss by the number of processes unless told it is already a mean (3.2 here).
    assert 1.0 < run.data.metrics["epoch_train_loss"] < 2.0
    assert client.get_model_version_by_alias("news-sentence-labeler", "champion").run_id == (
        run.info.run_id
    )
    result = mlflow.pyfunc.load_model(str(tmp_path / "champ")).predict(["Share this article"])
    assert list(result.columns) == ["label", *(f"prob_{x}" for x in LABELS)]
