"""Spark scoring on a real local[2] session (one per module: a JVM start costs ~7 s).

python -m train.spark --model models/champion --in sentences.parquet --out labelled.parquet
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import EXAMPLES, PY, ROOT

from train.spark import ScoreError, local_session, score_parquet
from train.tracking.spark_udf import ModelError

N = 50


@pytest.fixture(scope="module")
def spark():
    session = local_session()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def sentences(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """50 sentences in two part files (two Spark tasks), with a null and an empty one."""
    texts = [t.format(n=i) for i in range(10) for t in EXAMPLES.values()]
    texts[7], texts[23] = None, ""
    frame = pd.DataFrame({
        "doc_id": [f"d{i}" for i in range(N)],
        "sentence": texts,
        "source": [["wire", "blog"][i % 2] for i in range(N)],
    })  # fmt: skip
    folder = tmp_path_factory.mktemp("spark") / "sentences.parquet"
    folder.mkdir()
    frame.iloc[:30].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[30:].to_parquet(folder / "part-1.parquet", index=False)
    return folder, frame


def _labels(model: Path) -> list[str]:
    return json.loads((model / "artifacts/labeler/labeler.json").read_text())["labels"]


def test_every_row_is_labelled_like_the_pyfunc_model(spark, sentences, smoke_champion, tmp_path):
    src, frame = sentences
    dst = tmp_path / "labelled.parquet"
    score_parquet(str(smoke_champion), str(src), str(dst), text_column="sentence", spark=spark)

    out = pd.read_parquet(dst)
    labels = _labels(smoke_champion)
    probs = [f"prob_{x}" for x in labels]
    assert list(out.columns) == [*frame.columns, "label", *probs]
    assert len(out) == N and out["doc_id"].is_unique

    # Spark does not promise row order: join back on the id column.
    joined = frame.merge(out, on="doc_id", suffixes=("", "_out"), validate="one_to_one")
    assert len(joined) == N
    assert joined["source"].equals(joined["source_out"])
    assert joined["sentence"].fillna("<null>").equals(joined["sentence_out"].fillna("<null>"))
    assert set(joined["label"]) <= set(labels)
    assert joined[probs].sum(axis=1).to_numpy() == pytest.approx([1.0] * N, abs=1e-9)
    assert (joined[probs].to_numpy().argmax(1) == joined["label"].map(labels.index)).all()

    # The very rows the exported model gives in-process (a null sentence is labelled as "").
    want = mlflow.pyfunc.load_model(str(smoke_champion)).predict(frame["sentence"].tolist())
    assert joined["label"].tolist() == want["label"].tolist()
    assert joined[probs].to_numpy() == pytest.approx(want[probs].to_numpy(), abs=1e-9)


def test_the_cli_scores_with_its_own_session(sentences, smoke_champion, tmp_path):
    _, frame = sentences
    flat = tmp_path / "sentences.parquet"
    frame.rename(columns={"sentence": "text"}).to_parquet(flat, index=False)
    dst = tmp_path / "out.parquet"
    out = subprocess.run(
        [PY, "-m", "train.spark", "--model", str(smoke_champion), "--in", str(flat),
         "--out", str(dst)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"{dst}: {N} rows labelled" in out.stdout
    result = pd.read_parquet(dst)
    assert sorted(result["doc_id"]) == sorted(frame["doc_id"])
    assert set(result["label"]) <= set(_labels(smoke_champion))


def test_bad_paths_fail_before_spark_starts(sentences, smoke_champion, tmp_path):
    src, _ = sentences
    cases = [
        (["--in", str(tmp_path / "missing.parquet")], "missing.parquet: no such file or folder"),
        (["--in", str(src), "--out", str(src)], "sentences.parquet: already exists"),
        (["--in", str(src), "--model", str(tmp_path)], "cannot read the model's MLmodel file"),
    ]
    for args, message in cases:
        argv = ["--model", str(smoke_champion), "--out", str(tmp_path / "o"), *args]
        out = subprocess.run(
            [PY, "-m", "train.spark", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 2, out.stderr[-2000:]
        assert message in out.stderr and "Traceback" not in out.stderr
        assert "Spark" not in out.stderr  # no JVM was started for this
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("column", "extra", "message"),
    [
        ("text", {}, "no column 'text' (columns: doc_id, sentence, source)"),
        ("doc_num", {"doc_num": 1}, "column 'doc_num' holds bigint, not strings"),
        ("sentence", {"prob_opinion": 0.5}, "already has column(s) prob_opinion"),
    ],
)
def test_unusable_columns_are_named(
    spark, sentences, smoke_champion, tmp_path, column, extra, message
):
    _, frame = sentences
    src = tmp_path / "in.parquet"
    frame.assign(**extra).to_parquet(src, index=False)
    with pytest.raises(ScoreError) as err:
        score_parquet(str(smoke_champion), str(src), str(tmp_path / "o"), column, spark=spark)
    assert str(err.value).startswith(f"{src}: ") and message in str(err.value)
    assert not (tmp_path / "o").exists()


def test_a_model_without_the_contract_signature_is_refused(spark, sentences, tmp_path):
    src, _ = sentences
    model = tmp_path / "other"
    model.mkdir()
    (model / "MLmodel").write_text("flavors: {}\n")
    with pytest.raises(ModelError, match="no 'label' and 'prob_<label>' columns"):
        score_parquet(str(model), str(src), str(tmp_path / "o"), "sentence", spark=spark)
