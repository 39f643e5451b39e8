"""Learning curve: nested document samples, one tracked run per share, nothing exported."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from conftest import LABELS, write_jsonl

from train.config import load_config
from train.curve import main, parse_fractions, subsample
from train.data import load_data


def _data(tmp_path: Path, rows: list[dict]):
    path = write_jsonl(tmp_path / "labelled.jsonl", rows)
    cfg = load_config("tfidf_logreg", [f"data.source={path}"])
    return path, load_data(cfg.data, LABELS, cfg.seed)


def test_shares_are_whole_documents_nested_and_leave_evaluation_alone(tmp_path, labelled_rows):
    _, data = _data(tmp_path, labelled_rows)
    half, full = subsample(data, 0.5, 13), subsample(data, 1.0, 13)
    docs_half, docs_full = set(half.splits["train"].doc_ids), set(full.splits["train"].doc_ids)
    assert docs_half < docs_full == set(data.splits["train"].doc_ids)
    assert len(docs_half) == round(len(docs_full) / 2)
    # Whole documents: every sentence of a kept page comes along (5 per page here).
    assert len(half.splits["train"]) == 5 * len(docs_half)
    assert len(half.frames["train"]) == len(half.splits["train"])
    for split in ("validation", "test"):
        assert half.splits[split] is data.splits[split]


def test_curve_tracks_one_run_per_share_and_registers_nothing(
    tmp_path, labelled_rows, store, capsys
):
    path, _ = _data(tmp_path, labelled_rows)
    assert main(["--exp", "tfidf_logreg", "--fractions", "1,0.5", f"data.source={path}"]) == 0
    printed = capsys.readouterr().out
    assert " 50%" in printed and "100%" in printed

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    parents = [r for r in runs if r.data.tags["mlflow.runName"].startswith("curve-")]
    children = [r for r in runs if r.data.tags.get("train_fraction")]
    assert len(parents) == 1 and parents[0].data.tags["kind"] == "curve"
    assert sorted(r.data.tags["train_fraction"] for r in children) == ["0.5", "1"]
    assert {r.data.tags["kind"] for r in children} == {"curve"}  # kept apart from experiments
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parents[0].info.run_id}
    assert all(0.0 <= r.data.metrics["val_macro_f1"] <= 1.0 for r in children)
    assert mlflow.MlflowClient().search_registered_models() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--exp", "tfidf_logreg", "--fractions", "0,1"], "must be in (0, 1]"),
        (["--exp", "tfidf_logreg", "--fractions", "half"], "expected numbers"),
        (["--exp", "tfidf_logreg,embed_logreg"], "one experiment per curve"),
    ],
)
def test_bad_arguments_fail_before_any_run(argv, message, store, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert mlflow.search_runs(search_all_experiments=True, output_format="list") == []


def test_a_share_too_small_for_every_label_is_refused(tmp_path, labelled_rows, store, capsys):
    _, data = _data(tmp_path, labelled_rows)
    n_docs = len(set(data.splits["train"].doc_ids))
    (first,) = set(subsample(data, 1 / n_docs, 13).splits["train"].doc_ids)
    # The one-page share is `first`; without its hedged line that share misses a label.
    rows = [r for r in labelled_rows if not (r["doc_id"] == first and r["label"] == "hedged_claim")]
    path = write_jsonl(tmp_path / "sparse.jsonl", rows)
    share = f"{1 / n_docs:.4f}"
    assert main(["--exp", "tfidf_logreg", "--fractions", f"{share},1", f"data.source={path}"]) == 2
    assert "no example of hedged_claim" in capsys.readouterr().err
    assert mlflow.search_runs(search_all_experiments=True, output_format="list") == []
    assert parse_fractions("1, 0.25,0.5") == [0.25, 0.5, 1.0]
