import numpy as np
import pytest

from train.metrics import bootstrap_se, evaluate, macro_f1
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


def _timed(name, val, se, speed):
    metrics = {"val_macro_f1": val, "val_macro_f1_se": se, "infer_sentences_per_s": speed}
    return RunResult(name, "f", name, "", metrics)


def test_within_one_standard_error_the_faster_run_wins():
    slow_best = _timed("context", 0.943, 0.009, 150.0)
    fast_close = _timed("sentence", 0.939, 0.009, 230.0)
    assert choose([slow_best, fast_close], "val_macro_f1").name == "sentence"


def test_a_lead_beyond_one_standard_error_is_kept_whatever_the_speed():
    best = _timed("minilm", 0.943, 0.009, 150.0)
    fast = _timed("tfidf", 0.900, 0.012, 9000.0)
    assert choose([fast, best], "val_macro_f1").name == "minilm"
    # The best run's own error sets the band: 0.933 is 0.010 below, outside 0.009.
    assert choose([best, _timed("near", 0.933, 0.009, 999.0)], "val_macro_f1").name == "minilm"


def test_bootstrap_se_resamples_whole_documents():
    # Errors cluster by document (here: every sentence of an odd document is wrong), so the
    # score's real noise is the document-to-document spread, far above the sentence-level one.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    docs = [f"d{i // 60}" for i in range(600)]
    pred = np.array([(y[i] + 1) % 3 if (i // 60) % 2 else y[i] for i in range(600)])
    by_document = bootstrap_se(y, pred, docs)
    by_sentence = bootstrap_se(y, pred, [str(i) for i in range(600)])
    assert by_document > 2 * by_sentence > 0.0
    assert bootstrap_se(y, y, docs) == 0.0  # a perfect model has no spread
