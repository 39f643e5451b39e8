"""The fine-tuned model's ONNX path: export at save, parity with PyTorch, backend choice.

One real smoke fine-tune (smoke_minilm_finetune into a scratch store) is exported once for the
module; every test reads that exported MLflow model folder.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, train_champion

from train.config import ConfigError, load_config
from train.context import neighbour_context
from train.families import onnx_runtime
from train.families.finetune import FineTuned

LABELER = Path("artifacts") / "labeler"


@pytest.fixture(scope="module")
def minilm_champion(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("onnx")
    return train_champion(tmp, "smoke_minilm_finetune", drop_env=(onnx_runtime.ENV_VAR,))


@pytest.fixture(scope="module")
def weights(minilm_champion: Path) -> Path:
    return minilm_champion / LABELER / "model"


@pytest.fixture(scope="module")
def labels(minilm_champion: Path) -> list[str]:
    return json.loads((minilm_champion / LABELER / "labeler.json").read_text())["labels"]


@pytest.fixture(scope="module")
def sentences() -> tuple[list[str], list[str]]:
    """48 real test-split sentences with their neighbour context, in corpus order."""
    rows = [json.loads(line) for line in (ROOT / "data" / "corpus.jsonl").open()]
    rows = [r for r in rows if r["split"] == "test"][:48]
    texts = [r["text"] for r in rows]
    return texts, neighbour_context(texts, [r["doc_id"] for r in rows])


@pytest.fixture(scope="module")
def families(weights: Path, labels: list[str]) -> dict[str, FineTuned]:
    return {
        b: FineTuned.load(weights, labels, backend=b) for b in ("torch", "onnx-fp32", "onnx-int8")
    }


def test_save_ships_fp32_and_int8_onnx_in_the_exported_model(minilm_champion: Path, weights):
    fp32, int8 = weights / onnx_runtime.FP32_FILE, weights / onnx_runtime.INT8_FILE
    assert fp32.stat().st_size > 50e6  # the whole MiniLM, fp32
    assert int8.stat().st_size < 0.4 * fp32.stat().st_size  # int8 weights: about a quarter
    config = json.loads((weights / "config.json").read_text())
    assert config["news_kit_backend"] == "auto"
    assert "onnxruntime==" in (minilm_champion / "requirements.txt").read_text()


def test_onnx_fp32_matches_pytorch(families, sentences):
    texts, _ = sentences
    torch_p = families["torch"].predict_proba(texts)
    onnx_p = families["onnx-fp32"].predict_proba(texts)
    np.testing.assert_allclose(onnx_p, torch_p, atol=1e-4)
    assert (onnx_p.argmax(1) == torch_p.argmax(1)).all()
    np.testing.assert_allclose(onnx_p.sum(1), 1.0, atol=1e-6)


def test_onnx_fp32_matches_pytorch_on_sentence_context_pairs(families, sentences):
    # The context option tokenises (sentence, context) pairs: segment ids of 1 reach the graph.
    texts, contexts = sentences
    for family in families.values():
        family.params.context = True
    try:
        torch_p = families["torch"].predict_proba(texts, contexts)
        onnx_p = families["onnx-fp32"].predict_proba(texts, contexts)
        plain = families["onnx-fp32"].predict_proba(texts)
    finally:
        for family in families.values():
            family.params.context = False
    np.testing.assert_allclose(onnx_p, torch_p, atol=1e-4)
    assert np.abs(onnx_p - plain).max() > 1e-4  # the pairs really changed the input


def test_onnx_int8_labels_agree_with_pytorch_on_most_sentences(families, sentences):
    texts, _ = sentences
    torch_p = families["torch"].predict_proba(texts)
    int8_p = families["onnx-int8"].predict_proba(texts)
    # A one-epoch smoke model has near-tied probabilities, so a few argmaxes may flip.
    assert (int8_p.argmax(1) == torch_p.argmax(1)).mean() >= 0.8
    assert np.abs(int8_p - torch_p).max() < 0.05


def test_dynamic_batch_and_sequence_lengths(families, sentences):
    texts, _ = sentences
    long = " ".join(texts)  # far past max_length: truncated like PyTorch truncates it
    for batch in (["Yes."], [long, "", "Share this article"], (texts * 2)[:70]):
        torch_p = families["torch"].predict_proba(batch)
        onnx_p = families["onnx-fp32"].predict_proba(batch)
        assert onnx_p.shape == (len(batch), 5)
        np.testing.assert_allclose(onnx_p, torch_p, atol=1e-4)
    assert families["onnx-fp32"].predict_proba([]).shape == (0, 5)
    session = families["onnx-int8"].session
    for shape in ((1, 3), (9, 40)):
        ids = np.full(shape, 1037, dtype=np.int64)
        ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
        feed = {"input_ids": ids, "attention_mask": np.ones(shape, np.int64)}
        feed["token_type_ids"] = np.zeros(shape, np.int64)
        assert session.logits(feed).shape == (shape[0], 5)


def test_pyfunc_model_runs_onnx_int8_by_default(minilm_champion: Path, monkeypatch):
    import mlflow

    monkeypatch.delenv(onnx_runtime.ENV_VAR, raising=False)
    model = mlflow.pyfunc.load_model(str(minilm_champion))
    assert model.unwrap_python_model().labeler.family.backend == "onnx-int8"
    out = model.predict(["Police arrested three men on Tuesday.", "Share this article"])
    assert list(out.columns[:2]) == ["label", "prob_factual_claim"]
    np.testing.assert_allclose(out.filter(like="prob_").sum(1), 1.0, atol=1e-9)


def test_env_var_picks_the_backend_and_bad_names_fail_clearly(weights, labels, monkeypatch):
    monkeypatch.setenv(onnx_runtime.ENV_VAR, "onnx-fp32")
    assert FineTuned.load(weights, labels).backend == "onnx-fp32"
    monkeypatch.setenv(onnx_runtime.ENV_VAR, "torch")
    loaded = FineTuned.load(weights, labels)
    assert loaded.backend == "torch" and loaded.session is None
    monkeypatch.setenv(onnx_runtime.ENV_VAR, "tensorrt")
    with pytest.raises(onnx_runtime.BackendError, match="NEWS_KIT_BACKEND: unknown backend"):
        FineTuned.load(weights, labels)


def test_saved_backend_field_is_validated_in_the_config():
    with pytest.raises(ConfigError, match="backend"):
        load_config("smoke_minilm_finetune", ["model.params.backend=tensorrt"])
    assert load_config("smoke_minilm_finetune", ["model.params.backend=torch"]).model.params


def test_falls_back_to_pytorch_without_onnx_files_or_onnxruntime(
    weights, labels, tmp_path, monkeypatch
):
    monkeypatch.delenv(onnx_runtime.ENV_VAR, raising=False)
    bare = tmp_path / "model"
    shutil.copytree(weights, bare, ignore=shutil.ignore_patterns("*.onnx"))
    assert FineTuned.load(bare, labels).backend == "torch"
    # A machine without onnxruntime: the import fails, loading still works, on torch.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert FineTuned.load(weights, labels).backend == "torch"
    # auto falls back silently; only a backend chosen by name warns that it cannot be had
    assert not [w for w in caught if "onnx" in str(w.message).lower()]
    monkeypatch.setenv(onnx_runtime.ENV_VAR, "onnx-int8")
    with pytest.warns(UserWarning, match="onnxruntime is not installed"):
        assert FineTuned.load(weights, labels).backend == "torch"
