from pathlib import Path

import pytest

from train.export import export_atomically, model_card, recover


def _fill(text: str):
    def fill(folder: Path) -> None:
        folder.mkdir()
        (folder / "MLmodel").write_text(text)

    return fill


def test_export_replaces_the_previous_champion_and_adds_a_card(tmp_path):
    dest = tmp_path / "champion"
    export_atomically(dest, _fill("v1"), "card 1")
    export_atomically(dest, _fill("v2"), "card 2")
    assert (dest / "MLmodel").read_text() == "v2"
    assert (dest / "README.md").read_text() == "card 2"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "champion"
    ]


def test_failed_export_keeps_the_previous_champion(tmp_path):
    dest = tmp_path / "champion"
    export_atomically(dest, _fill("v1"), "card")

    def broken(folder: Path) -> None:
        folder.mkdir()
        (folder / "half-written").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        export_atomically(dest, broken, "card")
    assert (dest / "MLmodel").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "champion"
    ]


def test_export_without_mlmodel_is_refused(tmp_path):
    dest = tmp_path / "champion"
    with pytest.raises(RuntimeError, match="no MLmodel"):
        export_atomically(dest, lambda folder: folder.mkdir(), "card")
    assert not dest.exists()


def test_recover_restores_a_champion_cut_off_mid_swap(tmp_path):
    dest = tmp_path / "champion"
    previous = tmp_path / ".champion.previous"
    previous.mkdir()
    (previous / "MLmodel").write_text("v1")
    recover(dest)  # the process died after moving the old one aside
    assert (dest / "MLmodel").read_text() == "v1" and not previous.exists()


def _card(metrics: dict[str, float]) -> str:
    labels = ["factual_claim", "opinion"]
    return model_card(
        name="m", family="f", labels=labels, metrics=metrics, data_source="d.jsonl",
        data_digest="abc", sizes={"train": 8}, run_id="r", registered="models:/x@champion",
        provenance={},
    )  # fmt: skip


def test_model_card_states_the_score_noise_and_real_news_only_when_measured():
    base = {"val_macro_f1": 0.9, "val_macro_f1_se": 0.012, "test_macro_f1": 0.91}
    card = _card(base)
    assert "**0.900** (± 0.012" in card
    assert "real news pages" not in card
    real = {"realnews_dev_macro_f1": 0.81, "realnews_dev_f1_factual_claim": 0.88}
    card = _card({**base, **real, "realnews_dev_f1_opinion": 0.6})
    assert "macro-F1 **0.810**; per label 0.880 / 0.600" in card
