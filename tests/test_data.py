import csv
from pathlib import Path

import pytest
from conftest import LABELS, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from train.config import DataConfig
from train.data import DataError, load_data


def _cfg(path: Path, **kw) -> DataConfig:
    return DataConfig(source=str(path), **kw)


def test_user_jsonl_without_split_is_split_by_document(tmp_path, labelled_rows):
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    data = load_data(_cfg(path), LABELS, seed=1)
    sizes = {k: len(v) for k, v in data.splits.items()}
    assert sum(sizes.values()) == len(labelled_rows)
    assert sizes["train"] == 24 * 5 and sizes["validation"] == 3 * 5 and sizes["test"] == 3 * 5
    docs = {k: set(v.doc_ids) for k, v in data.splits.items()}
    assert not docs["train"] & docs["test"] and not docs["train"] & docs["validation"]
    # label ids follow the configured order
    first = data.frames["train"].iloc[0]
    assert LABELS[data.splits["train"].labels[0]] == first["label"]


def test_same_seed_same_split_other_seed_other_split(tmp_path, labelled_rows):
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    a = load_data(_cfg(path), LABELS, seed=1).splits["test"].doc_ids
    b = load_data(_cfg(path), LABELS, seed=1).splits["test"].doc_ids
    c = load_data(_cfg(path), LABELS, seed=2).splits["test"].doc_ids
    assert a == b and set(a) != set(c)


def test_csv_with_other_columns_and_a_label_map(tmp_path, labelled_rows):
    path = tmp_path / "d.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sentence", "tag", "doc_id"])
        for r in labelled_rows:
            tag = "claim" if r["label"] == "factual_claim" else r["label"]
            w.writerow([r["text"], tag, r["doc_id"]])
    cfg = _cfg(
        path, text_column="sentence", label_column="tag", label_map={"claim": "factual_claim"}
    )
    data = load_data(cfg, LABELS, seed=0)
    assert set(data.frames["train"]["label"]) == set(LABELS)


def test_unknown_label_names_file_and_line(tmp_path, labelled_rows):
    labelled_rows[6]["label"] = "rumour"
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    with pytest.raises(DataError) as err:
        load_data(_cfg(path), LABELS, seed=0)
    assert str(path) in str(err.value) and "line 7" in str(err.value) and "rumour" in str(err.value)


def test_empty_text_names_the_line(tmp_path, labelled_rows):
    labelled_rows[2]["text"] = "   "
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    with pytest.raises(DataError, match="line 3: empty text"):
        load_data(_cfg(path), LABELS, seed=0)


def test_missing_column(tmp_path, labelled_rows):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": r["text"]} for r in labelled_rows])
    with pytest.raises(DataError, match="missing column 'label'"):
        load_data(_cfg(path), LABELS, seed=0)


def test_invalid_utf8_names_the_line(tmp_path, labelled_rows):
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    lines = path.read_bytes().split(b"\n")
    lines[4] = b'{"text": "caf\xe9", "label": "opinion"}'
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError, match="line 5: not valid UTF-8"):
        load_data(_cfg(path), LABELS, seed=0)


def test_ragged_csv_row_names_the_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nA fact.,factual_claim\nextra,opinion,oops\n")
    with pytest.raises(DataError, match="line 3: 3 fields, the header has 2"):
        load_data(_cfg(path), LABELS, seed=0)


def test_document_in_two_splits_is_rejected(tmp_path, labelled_rows):
    for r in labelled_rows:
        r["split"] = "train"
    labelled_rows[0]["split"] = "test"
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    with pytest.raises(DataError, match="document 'd0' is in two splits"):
        load_data(_cfg(path), LABELS, seed=0)


def test_builtin_corpus_loads_with_every_label_in_training():
    data = load_data(DataConfig(), LABELS, seed=13)
    assert set(data.splits["train"].labels.tolist()) == set(range(len(LABELS)))
    assert all(len(s) > 0 for s in data.splits.values())
    assert len(data.digest) == 16


def test_an_empty_split_is_rejected(tmp_path, labelled_rows):
    for r in labelled_rows:
        r["split"] = "test" if r["doc_id"] == "d0" else "train"
    path = write_jsonl(tmp_path / "d.jsonl", labelled_rows)
    with pytest.raises(DataError, match="the 'validation' split is empty"):
        load_data(_cfg(path), LABELS, seed=0)


def test_a_label_with_no_training_example_is_rejected(tmp_path, labelled_rows):
    rows = [r for r in labelled_rows if r["label"] != "hedged_claim"]
    rows.append({**labelled_rows[1], "doc_id": "only-test", "split": "test"})
    for r in rows[:-1]:
        r["split"] = "validation" if r["doc_id"] == "d1" else "train"
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(DataError, match="no training example for label"):
        load_data(_cfg(path), LABELS, seed=0)


@pytest.mark.reliability
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.text(max_size=40).map(str.encode),
            st.sampled_from(
                [
                    b"{",
                    b"[]",
                    b'{"text": 3, "label": "opinion"}',
                    b'"x"',
                    b"null",
                    b'{"text": "ok", "label": "opinion"}',
                    b"a,b,c",
                    b"\xff\xfe",
                ]
            ),
        ),
        min_size=0,
        max_size=8,
    ),
    suffix=st.sampled_from([".jsonl", ".csv"]),
)
def test_malformed_files_fail_with_a_data_error_and_nothing_else(tmp_path, lines, suffix):
    path = tmp_path / f"fuzz{suffix}"
    header = b"text,label\n" if suffix == ".csv" else b""
    path.write_bytes(header + b"\n".join(lines))
    try:
        load_data(_cfg(path), LABELS, seed=0)
    except DataError as exc:
        assert str(path) in str(exc)
