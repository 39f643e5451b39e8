"""`make data-check` on the shipped corpus, and on corpora with each kind of defect."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import LABELS, PY, ROOT

from train.data import corpus_dataset
from train.datacheck import main as datacheck


def _row(doc, idx, text, label="factual_claim", split="train"):
    return {"doc_id": doc, "sent_idx": idx, "text": text, "label": label, "split": split,
            "style": "wire report", "topic": "courts"}  # fmt: skip


GOOD = [
    _row("a", 0, "The court sat for nine hours on Monday and adjourned late."),
    _row("a", 1, "The judge said the hearing would resume in spring.", "attribution"),
    _row("b", 0, "Flood barriers were raised along the river at dawn.", split="test"),
    _row("c", 0, "Share this story", "boilerplate", split="validation"),
]


def _write(tmp_path, rows):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_shipped_corpus_passes_the_check():
    out = subprocess.run([PY, "-m", "train.datacheck"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    stats = json.loads(out.stdout[: out.stdout.index("\n}") + 2])
    assert stats["lines"] >= 8000 and stats["documents"] >= 300
    assert all(stats["labels"][label] >= 0.08 * stats["lines"] for label in LABELS)
    assert stats["labels"]["hedged_claim"] >= 600
    assert stats["hard_case_share"] >= 0.2 and stats["noisy_document_share"] >= 0.2
    assert len(stats["styles"]) >= 10 and len(stats["topics"]) >= 20
    for split in ("train", "validation", "test"):
        assert all(stats["splits"][split].get(label, 0) > 0 for label in LABELS)


def test_clean_small_corpus_passes(tmp_path):
    assert datacheck([str(_write(tmp_path, GOOD))]) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[1].update(label="rumour"), ":2: unknown label 'rumour'"),
        (lambda rows: rows[2].update(text="  "), ":3: empty text"),
        (lambda rows: rows[0].pop("split"), ":1: missing field(s) split"),
        (lambda rows: rows[1].update(split="test"), ":2: document 'a' is in 'test' here"),
        (lambda rows: rows[1].update(sent_idx=0), ":2: duplicate (doc_id, sent_idx)"),
        (
            lambda rows: rows[2].update(text=rows[0]["text"].upper().replace(".", "!")),
            ":3: near-duplicate",
        ),
    ],
)
def test_each_defect_fails_naming_file_and_line(tmp_path, capsys, change, message):
    rows = [dict(r) for r in GOOD]
    change(rows)
    path = _write(tmp_path, rows)
    assert datacheck([str(path)]) == 1
    assert f"{path}{message}" in capsys.readouterr().err


def test_corpus_loads_with_datasets_and_a_classlabel():
    dd = corpus_dataset(LABELS)
    assert set(dd) == {"train", "validation", "test"}
    assert dd["train"].features["label"].names == LABELS
    assert len(dd["train"]) > len(dd["validation"]) > 0


def test_every_split_holds_every_label_style_and_topic():
    rows = [json.loads(line) for line in (ROOT / "data" / "corpus.jsonl").open()]
    for key in ("label", "style", "topic"):
        values = {r[key] for r in rows}
        for split in ("train", "validation", "test"):
            assert {r[key] for r in rows if r["split"] == split} == values, (key, split)
    docs = {r["doc_id"]: r["split"] for r in rows}
    share = sum(1 for s in docs.values() if s == "train") / len(docs)
    assert 0.75 <= share <= 0.85
