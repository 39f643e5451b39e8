import json

import numpy as np
import pytest

from train.calibration import (
    adjust,
    crossfit_label_bias_f1,
    expected_calibration_error,
    fit_label_bias,
    fit_temperature,
    reliability_points,
)
from train.context import SEPARATOR, neighbour_context, trim_context
from train.metrics import macro_f1


def _overconfident(n=2000, seed=0):
    """A model that is right 70% of the time but claims 97% confidence."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < 0.7, y, (y + 1) % 3)
    proba = np.full((n, 3), 0.015)
    proba[np.arange(n), pred] = 0.97
    return proba, y


def test_temperature_scaling_fixes_overconfidence_without_changing_labels():
    proba, y = _overconfident()
    t = fit_temperature(proba, y)
    calibrated = adjust(proba, t)
    assert t > 1.5
    assert (calibrated.argmax(1) == proba.argmax(1)).all()
    assert expected_calibration_error(calibrated, y) < 0.05 < expected_calibration_error(proba, y)
    np.testing.assert_allclose(calibrated.sum(1), 1.0)


def test_reliability_points_cover_every_prediction():
    proba, y = _overconfident(500)
    points = reliability_points(proba, y)
    assert sum(n for _, _, n in points) == 500
    conf, acc, _ = points[-1]
    assert conf == pytest.approx(0.97) and acc == pytest.approx(0.7, abs=0.06)


def test_label_bias_rescues_a_rare_label_the_model_underrates():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    # the rare label gets a probability that separates it, but never wins the argmax
    p1 = np.where(y == 1, rng.uniform(0.3, 0.45, 1000), rng.uniform(0.0, 0.25, 1000))
    proba = np.c_[1 - p1, p1]
    assert (proba.argmax(1) == 0).all()
    bias = fit_label_bias(proba, y)
    assert (adjust(proba, 1.0, bias).argmax(1) == y).mean() > 0.95
    assert crossfit_label_bias_f1(proba, y) > 0.9  # a real signal survives cross-fitting


def test_cross_fitted_label_bias_score_does_not_flatter_noise():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 5, 300)
    proba = rng.dirichlet(np.ones(5), 300)  # no signal at all
    in_sample = macro_f1(y, adjust(proba, 1.0, fit_label_bias(proba, y)).argmax(1))
    assert crossfit_label_bias_f1(proba, y) < in_sample - 0.03


def test_neighbour_context_follows_reading_order_within_each_document():
    texts = ["b1", "a0", "b0", "a1"]
    ctx = neighbour_context(texts, ["b", "a", "b", "a"], [1, 0, 0, 1])
    assert ctx[1] == f"{SEPARATOR}a1"  # first of doc a: no previous
    assert ctx[3] == f"a0{SEPARATOR}"  # last of doc a: no next
    assert ctx[2] == f"{SEPARATOR}b1" and ctx[0] == f"b0{SEPARATOR}"


def test_no_document_ids_means_no_context():
    assert neighbour_context(["x", "y"], None) == ["", ""]


def test_long_neighbours_are_cut_to_their_nearest_words():
    prev = " ".join(f"w{i}" for i in range(40))
    ctx = neighbour_context([prev, "s"], ["d", "d"], [0, 1], words=3)
    assert ctx[1] == f"w37 w38 w39{SEPARATOR}"


def test_a_model_trained_on_a_shorter_window_sees_the_same_window_at_inference():
    words = " ".join(f"w{i}" for i in range(20))
    full = neighbour_context([words, "s", words], ["d"] * 3, [0, 1, 2])[1]
    assert trim_context(full, 2) == f"w18 w19{SEPARATOR}w0 w1"
    assert trim_context(full, 2) == neighbour_context([words, "s", words], ["d"] * 3, None, 2)[1]
    assert trim_context("", 2) == ""


def test_a_label_bias_run_is_chosen_on_its_cross_fitted_validation_score(tmp_path):
    from conftest import train_champion
    from mlflow.tracking import MlflowClient

    champion = train_champion(tmp_path, "smoke_tfidf_label_bias")
    client = MlflowClient(f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    exp = client.get_experiment_by_name("news-sentence-labels")
    runs = client.search_runs([exp.experiment_id])
    (run,) = [r for r in runs if r.data.tags.get("kind") == "experiment"]
    (parent,) = [r for r in runs if r.data.tags.get("kind") == "train"]
    m = run.data.metrics
    assert run.data.params["calibration.label_bias"] == "True"
    assert 0.0 <= m["val_macro_f1"] <= 1.0 and 0.0 <= m["val_macro_f1_in_sample"] <= 1.0
    # the parent records the score the winner was chosen on: the cross-fitted one
    assert parent.data.metrics["champion_val_macro_f1"] == m["val_macro_f1"]
    labeler = json.loads((champion / "artifacts" / "labeler" / "labeler.json").read_text())
    assert len(labeler["label_bias"]) == 5
