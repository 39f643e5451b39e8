import numpy as np
import pytest

from train.metrics import evaluate, macro_f1
from train.select import RunResult, choose

LABELS = ["a", "b", "c"]


def test_macro_f1_counts_a_label_the_model_never_predicts():
    y = np.array([0, 0, 1, 2])
    proba = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype=float)
    m = evaluate(y, proba, LABELS, "val")
    assert m["val_f1_c"] == 0.0
    assert m["val_macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert m["val_accuracy"] == 0.75
    assert {"val_precision_a", "val_recall_b", "val_log_loss"} <= set(m)


def test_macro_f1_helper_matches_evaluate():
    y = np.array([0, 1, 2, 2])
    pred = np.array([0, 1, 1, 2])
    proba = np.eye(3)[pred]
    assert macro_f1(y, pred) == pytest.approx(evaluate(y, proba, LABELS, "x")["x_macro_f1"])


def _run(name, val, test):
    return RunResult(name, "f", name, "", {"val_macro_f1": val, "test_macro_f1": test})


def test_winner_is_chosen_by_validation_never_by_test():
    runs = [_run("a", 0.70, 0.95), _run("b", 0.80, 0.50)]
    assert choose(runs, "val_macro_f1").name == "b"


def test_tie_goes_to_the_earlier_run():
    runs = [_run("a", 0.80, 0.1), _run("b", 0.80, 0.9)]
    assert choose(runs, "val_macro_f1").name == "a"


def test_selection_refuses_test_metrics_and_empty_input():
    with pytest.raises(ValueError):
        choose([_run("a", 0.8, 0.8)], "test_macro_f1")
    with pytest.raises(ValueError):
        choose([], "val_macro_f1")
