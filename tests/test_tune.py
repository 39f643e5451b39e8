"""`make tune`: the search space is checked like any config, trials are nested MLflow runs under
one parent, bad trials are pruned, and the best configuration becomes the champion."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mlflow
import optuna
import pytest
from conftest import LABELS, PY, ROOT
from mlflow.tracking import MlflowClient

from train.config import parse_override
from train.search_space import SearchSpaceError, load_search_space, override
from train.tune import main as tune_main
from train.tune import pruning_report

SEARCH = """\
extends: smoke_tfidf_logreg
search:
  model.params.C: {type: float, low: 0.05, high: 50, log: true}
  model.params.class_weight: {type: categorical, choices: [balanced, none]}
  model.params.char_ngram_max: null   # inherited from tfidf_logreg.yaml; null removes it
"""


def _experiment(tmp_path: Path, text: str, name: str = "tune_smoke") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.e2e
def test_two_trials_are_nested_runs_and_the_best_becomes_the_exported_champion(store, tmp_path):
    exp = _experiment(tmp_path, SEARCH)
    out = subprocess.run(
        [PY, "-m", "train.tune", "--exp", exp, "--trials", "2", f"export.dir={tmp_path / 'champ'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]

    client = MlflowClient(store)  # not mlflow.set_tracking_uri: it leaks into later tests
    exp_id = client.get_experiment_by_name("news-sentence-labels").experiment_id
    runs = client.search_runs([exp_id])
    (parent,) = [r for r in runs if r.data.tags.get("kind") == "tune"]
    trials = [r for r in runs if r.data.tags.get("kind") == "trial"]
    (final,) = [r for r in runs if r.data.tags.get("kind") == "experiment"]
    assert len(trials) == 2
    for run in (*trials, final):
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.status == "FINISHED"
    assert {t.data.tags["trial_state"] for t in trials} == {"COMPLETE"}
    assert len({t.data.params["model.params.C"] for t in trials}) == 2  # two sampled values

    # The tuned run is the best trial's configuration, trained again as a normal run: same
    # params, same validation score (TF-IDF is deterministic), and it is the champion.
    best = max(trials, key=lambda t: t.data.metrics["val_macro_f1"])
    assert parent.data.tags["best_trial"] == best.data.tags["trial"]
    assert final.info.run_name == "tune_smoke-tuned"
    for key in ("model.params.C", "model.params.class_weight"):
        assert final.data.params[key] == best.data.params[key]
    assert final.data.metrics["val_macro_f1"] == pytest.approx(best.data.metrics["val_macro_f1"])
    assert "test_macro_f1" in final.data.metrics  # a full run: test scores reported
    assert parent.data.tags["champion_run"] == final.info.run_id
    version = client.get_model_version_by_alias("news-sentence-labeler", "champion")
    assert version.run_id == final.info.run_id

    result = mlflow.pyfunc.load_model(str(tmp_path / "champ")).predict(["Share this article"])
    assert list(result.columns) == ["label", *(f"prob_{x}" for x in LABELS)]


def test_search_space_is_typed_and_checked_naming_key_and_file(tmp_path):
    space = load_search_space(_experiment(tmp_path, SEARCH))
    (c, weight) = space.params
    assert (c.key, c.type, c.low, c.high, c.log) == ("model.params.C", "float", 0.05, 50.0, True)
    assert weight.choices == ("balanced", "none")
    assert c.origin.endswith("tune_smoke.yaml")

    def error(search: str) -> str:
        path = _experiment(tmp_path, f"extends: smoke_tfidf_logreg\nsearch:\n{search}", "bad")
        with pytest.raises(SearchSpaceError) as info:
            load_search_space(path)
        assert str(tmp_path / "bad.yaml") in str(info.value)
        return str(info.value)

    assert "unknown key 'search.model.params.Cc'" in error(
        "  model.params.Cc: {type: float, low: 1, high: 2}\n"
    )
    assert "unknown key 'search.model.params.C.hi'" in error(
        "  model.params.C: {type: float, low: 1, hi: 2}\n"
    )
    assert "type must be one of" in error("  model.params.C: {type: real, low: 1, high: 2}\n")
    assert "low < high" in error("  model.params.C: {type: float, low: 3, high: 2}\n")
    assert "log: true needs low > 0" in error(
        "  model.params.C: {type: float, low: 0, high: 2, log: true}\n"
    )
    # A value the family itself rejects is caught before any trial, by the config's own checks.
    message = error("  model.params.class_weight: {type: categorical, choices: [balanced, x]}\n")
    assert "'x'" in message and "model.params.class_weight" in message
    assert "cannot be searched" in error("  export.dir: {type: categorical, choices: [a, b]}\n")
    assert "whole-number" in error("  model.params.min_df: {type: int, low: 1, high: 2.5}\n")

    # A file that extends another replaces an inherited entry whole, or drops it with null.
    child = _experiment(
        tmp_path,
        f"extends: {tmp_path / 'tune_smoke.yaml'}\nsearch:\n  model.params.C: null\n"
        "  model.params.min_df: {type: int, low: 1, high: 3}\n",
        "child",
    )
    params = {p.key: p for p in load_search_space(child).params}
    assert sorted(params) == ["model.params.class_weight", "model.params.min_df"]
    min_df = params["model.params.min_df"]
    assert (min_df.type, min_df.low, min_df.high) == ("int", 1, 3)
    assert min_df.origin.endswith("child.yaml")
    assert params["model.params.class_weight"].origin.endswith("tune_smoke.yaml")

    no_search = _experiment(tmp_path, "extends: smoke_embed_logreg\n", "plain")
    with pytest.raises(SearchSpaceError, match="no 'search:' section"):
        load_search_space(no_search)


def test_tune_reports_a_bad_search_space_as_one_line(tmp_path, capsys):
    exp = _experiment(tmp_path, "extends: smoke_tfidf_logreg\nsearch:\n  model.params.Cc: 1\n")
    assert tune_main(["--exp", exp, "--trials", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {exp}: unknown key 'search.model.params.Cc'")
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["no", "none", "1e-5", 1e-05, 2.5e20, 0.5, 7, True, 'a "q"'])
def test_trial_values_survive_the_override_parser(value):
    key, parsed = parse_override(override("model.params.x", value))
    assert key == "model.params.x" and parsed == value and type(parsed) is type(value)


def test_a_trial_below_the_median_is_pruned_on_its_epoch_score():
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=1)
    )
    done = study.ask()
    done.report(0.9, 1)
    study.tell(done, 0.9)

    seen: list[tuple[dict, int]] = []
    good = pruning_report(study.ask(), "val_macro_f1", then=lambda m, s: seen.append((m, s)))
    good({"macro_f1": 0.95, "loss": 0.3}, 1)  # above the median: the trial goes on
    bad = pruning_report(study.ask(), "val_macro_f1", then=lambda m, s: seen.append((m, s)))
    with pytest.raises(optuna.TrialPruned, match="below median"):
        bad({"macro_f1": 0.2, "loss": 0.9}, 1)
    # Each epoch is passed on (to the run's curves) before the pruner decides.
    assert [(m["macro_f1"], s) for m, s in seen] == [(0.95, 1), (0.2, 1)]
