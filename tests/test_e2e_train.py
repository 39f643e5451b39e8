"""The README's main path, for real: `make train` on a smoke set, a real store, a real export."""

from __future__ import annotations

import subprocess

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import LABELS, ROOT, SMOKE_SET
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    uri = f"sqlite:///{tmp / 'store' / 'mlflow.db'}"
    export = tmp / "champion"
    out = subprocess.run(
        ["make", "train", f"EXP={SMOKE_SET}", f"ARGS=tracking.uri={uri} export.dir={export}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**__import__("os").environ, "MLFLOW_TRACKING_URI": ""},
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    mlflow.set_tracking_uri(uri)
    return {"uri": uri, "export": export, "stdout": out.stdout}


def test_every_experiment_is_a_child_run_with_metrics_and_artifacts(trained):
    client = MlflowClient(trained["uri"])
    exp = client.get_experiment_by_name("news-sentence-labels")
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("kind") == "train"]
    children = [r for r in runs if r.data.tags.get("kind") == "experiment"]
    assert len(parents) == 1 and len(children) == 4
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    for child in children:
        m = child.data.metrics
        for key in ("val_macro_f1", "test_macro_f1", "val_accuracy", "val_log_loss",
                    "train_seconds", "infer_sentences_per_s"):  # fmt: skip
            assert key in m, (child.info.run_name, key)
        assert all(f"val_f1_{label}" in m and f"test_recall_{label}" in m for label in LABELS)
        assert child.data.params["model.family"] == child.data.tags["family"]
        assert child.data.tags["git_commit"]
        files = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {"config.yaml", "confusion_validation.png", "confusion_test.png",
                "report_validation.txt", "misclassified_validation.json",
                "environment.json"} <= files  # fmt: skip
        assert child.inputs.dataset_inputs, "training data must be logged as a dataset input"
        assert "reliability_test.png" in files and m["temperature"] > 0
        assert {"val_ece", "val_ece_raw", "test_ece"} <= set(m)
    finetune = next(c for c in children if c.info.run_name == "smoke_minilm_finetune")
    assert any(c.data.params["model.params.context"] == "True" for c in children)
    history = client.get_metric_history(finetune.info.run_id, "epoch_macro_f1")
    assert len(history) >= 1
    assert finetune.data.tags["provenance.encoder_sha256"].startswith("53aa5117")
    # mixed_precision: auto trains in bf16 exactly where this hardware runs it natively
    from train.families.torch_utils import pick_device, resolve_precision

    expected = resolve_precision("auto", pick_device())
    assert finetune.data.tags["provenance.training_precision"] == expected


def test_winner_is_best_on_validation_and_registered_as_champion(trained):
    client = MlflowClient(trained["uri"])
    exp = client.get_experiment_by_name("news-sentence-labels")
    children = [
        r
        for r in client.search_runs([exp.experiment_id])
        if r.data.tags.get("kind") == "experiment"
    ]
    best = max(children, key=lambda r: r.data.metrics["val_macro_f1"])
    version = client.get_model_version_by_alias("news-sentence-labeler", "champion")
    assert version.run_id == best.info.run_id
    assert "<- champion" in trained["stdout"] and best.info.run_name in trained["stdout"]


def test_exported_champion_honours_the_inference_contract(trained):
    model = mlflow.pyfunc.load_model(str(trained["export"]))
    texts = ["Police arrested three men on Tuesday.", "Share this article", "It is time to act."]
    by_frame = model.predict(pd.DataFrame({"text": texts}))
    by_list = model.predict(texts)
    expected = ["label"] + [f"prob_{label}" for label in LABELS]
    assert list(by_frame.columns) == expected
    pd.testing.assert_frame_equal(by_frame, by_list)
    probs = by_frame[expected[1:]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-9)
    assert (by_frame["label"] == [LABELS[i] for i in probs.argmax(1)]).all()
    # input order is kept: one sentence alone gets the row it had in the batch
    alone = model.predict([texts[1]])
    np.testing.assert_allclose(alone[expected[1:]].to_numpy()[0], probs[1], atol=1e-6)
    # optional document columns are accepted (the context model reads them)
    with_docs = model.predict(pd.DataFrame({"text": texts, "doc_id": "d", "sent_idx": [0, 1, 2]}))
    assert list(with_docs.columns) == expected and len(with_docs) == 3
    card = (trained["export"] / "README.md").read_text()
    assert "Intended use" in card and "val_macro_f1" not in card and "Validation macro-F1" in card


def test_exported_model_is_self_contained(trained):
    export = trained["export"]
    assert (export / "MLmodel").exists() and (export / "code" / "train").is_dir()
    config = next(export.glob("artifacts/*/config.yaml")).read_text()
    assert "primary_metric: val_macro_f1" in config
    reqs = (export / "requirements.txt").read_text()
    assert "+cpu" not in reqs and "mlflow==" in reqs
