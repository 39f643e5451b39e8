from pathlib import Path

import pytest

from train.export import export_atomically, recover


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
