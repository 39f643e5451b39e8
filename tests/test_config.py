from pathlib import Path

import pytest
from conftest import ROOT

from train.config import ConfigError, load_config, parse_override
from train.families import FAMILIES
from train.families.tfidf import TfidfParams


def test_base_plus_experiment_resolves_typed_params():
    cfg = load_config("tfidf_logreg")
    assert cfg.model.family == "tfidf_logreg"
    assert isinstance(cfg.model.params, TfidfParams)
    assert cfg.labels == ["factual_claim", "hedged_claim", "attribution", "opinion", "boilerplate"]
    assert cfg.primary_metric == "val_macro_f1"
    assert cfg.name == "tfidf_logreg"


def test_override_is_parsed_as_yaml_and_converted_to_the_declared_type():
    cfg = load_config("tfidf_logreg", ["model.params.C=2", "seed=7", "data.max_rows=10"])
    assert cfg.model.params.C == 2.0 and isinstance(cfg.model.params.C, float)
    assert cfg.seed == 7 and cfg.data.max_rows == 10


def test_extends_inherits_and_overrides():
    cfg = load_config("smoke_minilm_finetune")
    assert cfg.model.family == "minilm_finetune"
    assert cfg.model.params.epochs == 1  # from the smoke file
    assert cfg.model.params.batch_size == 32  # from minilm_finetune.yaml
    assert cfg.data.max_rows == 60


def test_unknown_key_names_key_and_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  family: tfidf_logreg\n  parms: {}\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(bad))
    assert "model.parms" in str(err.value) and str(bad) in str(err.value)


def test_unknown_param_from_command_line_names_the_override():
    with pytest.raises(ConfigError) as err:
        load_config("tfidf_logreg", ["model.params.CC=3"])
    assert "model.params.CC" in str(err.value) and "command line" in str(err.value)


def test_wrong_type_names_key_and_file():
    with pytest.raises(ConfigError) as err:
        load_config("tfidf_logreg", ["seed=abc"])
    assert "'seed'" in str(err.value) and "an integer" in str(err.value)


def test_wrong_type_in_experiment_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: minilm_finetune\nmodel:\n  params:\n    epochs: three\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(bad))
    assert "model.params.epochs" in str(err.value) and str(bad) in str(err.value)


def test_unknown_family_lists_known_ones():
    with pytest.raises(ConfigError) as err:
        load_config("tfidf_logreg", ["model.family=xgboost"])
    assert "xgboost" in str(err.value) and "tfidf_logreg" in str(err.value)


def test_missing_experiment_file_lists_known_ones():
    with pytest.raises(ConfigError) as err:
        load_config("no_such_experiment")
    assert "no_such_experiment" in str(err.value) and "tfidf_logreg" in str(err.value)


def test_encoder_path_that_does_not_exist_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        load_config("embed_logreg", ["model.params.encoder=/nonexistent/model"])
    assert "model.params.encoder" in str(err.value) and "/nonexistent/model" in str(err.value)


def test_primary_metric_must_be_a_validation_metric():
    with pytest.raises(ConfigError, match="test scores never choose"):
        load_config("tfidf_logreg", ["primary_metric=test_macro_f1"])


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match=r"key\.sub=value"):
        parse_override("model.params.C")


def test_resolved_config_round_trips_to_plain_dict():
    cfg = load_config("minilm_finetune")
    data = cfg.to_dict()
    assert data["model"]["params"]["epochs"] == cfg.model.params.epochs
    assert data["labels"] == cfg.labels


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (ROOT / "configs" / "experiment").glob("*.yaml"))
)
def test_every_shipped_experiment_file_resolves(name):
    cfg = load_config(name)
    assert cfg.name == name and cfg.model.family in FAMILIES
