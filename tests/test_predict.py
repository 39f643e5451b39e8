"""`python -m train.predict`: articles in (text, HTML, JSON Lines), one label per sentence out."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import LABELS, PY, ROOT
from train import realnews, segment
from train.labeler import Labeler
from train.predict import MAX_INPUT_BYTES, main

SAMPLES = ROOT / "data" / "samples"
PROBS = [f"prob_{x}" for x in LABELS]


def run_main(args: list[str], capsys, monkeypatch=None, stdin: bytes | None = None):
    """The CLI in-process (fast); an uncaught exception would fail the test with its traceback."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def sample_sentences() -> list[str]:
    html = (SAMPLES / "article.html").read_text(encoding="utf-8")
    return [s.text for s in segment.sentences(segment.html_blocks(html))]


# ---------------------------------------------------------------- segmentation


def test_sample_html_and_text_give_the_same_sentences_furniture_included():
    text = (SAMPLES / "article.txt").read_text(encoding="utf-8")
    from_text = [s.text for s in segment.sentences(segment.text_blocks(text))]
    from_html = sample_sentences()
    assert from_html == from_text
    assert len(from_html) == 34
    for furniture in ("Home", "Sign in", "Photograph: Tomas Ferreira/Ottermere Chronicle",
                      "Share this article", "Copy link", "Read next",
                      "By Rhiannon Castell, Local Democracy Reporter"):  # fmt: skip
        assert furniture in from_html
    # A short furniture line with inner full stops stays one unit, as in the corpus.
    assert "© 2024 Ottermere Chronicle Ltd. All rights reserved." in from_html
    joined = " ".join(from_html)
    for dropped in ("dataLayer", "| The Ottermere", "Hidden tracking", "Invisible promotional",
                    "enable JavaScript", "Comment template"):  # fmt: skip
        assert dropped not in joined


def test_html_blocks_follow_what_a_browser_shows():
    html = (
        "<head><title>T</title><meta charset=utf-8>"  # no </head>: the body still counts
        "<h1>Big <em>news</em> today</h1><p>Police <b>arrested</b> three men.<br>Second line"
        "<p>Unclosed paragraph &amp; entity<div style='display:none'>gone</div>"
        "<pre>line one\nline two</pre><ul><li>One<li>Two</ul>"
        "<div aria-label=x>Kept <span hidden>not this</span>text</div><!-- a comment -->"
    )
    blocks = segment.html_blocks(html)
    assert [b.text for b in blocks] == [
        "Big news today", "Police arrested three men.", "Second line",
        "Unclosed paragraph & entity", "line one", "line two", "One", "Two", "Kept text",
    ]  # fmt: skip
    assert [b.kind for b in blocks][:2] == ["h1", "p"]


def test_deeply_nested_or_broken_html_costs_linear_time():
    start = time.perf_counter()
    blocks = segment.html_blocks("<div>" * 50_000 + "deep text" + "</span>" * 1000)
    assert [b.text for b in blocks] == ["deep text"]
    assert time.perf_counter() - start < 5


def test_paragraphs_are_split_and_short_lines_stay_whole():
    para = (
        "Police arrested three men on Tuesday. Two were released without charge. "
        "Dr. Amara Osei of St. Luke's hospital treated the injured."
    )
    out = segment.sentences([segment.Block(para), segment.Block("Photograph: K. Osei/Press")])
    assert [s.text for s in out] == [
        "Police arrested three men on Tuesday.", "Two were released without charge.",
        "Dr. Amara Osei of St. Luke's hospital treated the injured.", "Photograph: K. Osei/Press",
    ]  # fmt: skip
    assert [s.block for s in out] == [0, 0, 0, 1]
    lines = segment.sentences([segment.Block(para)], splitter="lines")
    assert [s.text for s in lines] == [para]


def test_hard_wrapped_text_is_rejoined_but_headlines_and_lists_are_not():
    text = (
        "Harbour bridge to close for repairs\n\n"
        "The harbour bridge will close for six weeks from Monday while engineers\n"
        "replace the expansion joints on the northern span. Buses will divert\n"
        "through the old town, adding about ten minutes to most journeys, and the\n"
        "ferry will run every twenty minutes instead of every hour.\n"
        "- Share this article\n"
    )
    blocks = [b.text for b in segment.text_blocks(text)]
    assert blocks[0] == "Harbour bridge to close for repairs"
    assert blocks[1].startswith("The harbour bridge will close") and blocks[1].endswith("hour.")
    assert blocks[2] == "- Share this article"
    sents = [s.text for s in segment.sentences(segment.text_blocks(text))]
    assert sents[1] == (
        "The harbour bridge will close for six weeks from Monday while engineers replace the "
        "expansion joints on the northern span."
    )
    # Pasted text (one paragraph per line, lines far longer than a wrap width) is left alone.
    pasted = "Home\nNews\n" + "A long paragraph that keeps going and going. " * 5 + "\nSign in\n"
    assert len(segment.text_blocks(pasted)) == 4


def test_over_long_blocks_are_bounded():
    many_stops = "a. " * 30_000  # pysbd alone is quadratic on this: ~90 s for 100 kB
    start = time.perf_counter()
    out = segment.sentences([segment.Block(many_stops.strip())])
    assert time.perf_counter() - start < 20
    assert "".join(s.text for s in out).replace(" ", "") == many_stops.replace(" ", "")
    no_stop = segment.sentences([segment.Block("x" * 2500 + " " + "word " * 400)])
    assert all(len(s.text) <= segment.MAX_SENTENCE_CHARS for s in no_stop)
    assert all(s.chunked for s in no_stop) and len(no_stop) == 5


# ---------------------------------------------------------------- the command line


def test_cli_labels_the_sample_article_like_the_library(smoke_champion: Path):
    out = subprocess.run(
        [PY, "-m", "train.predict", str(SAMPLES / "article.html"), "--model", str(smoke_champion),
         "--format", "jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = jsonl(out.stdout)
    assert list(rows[0]) == ["doc_id", "sent_idx", "text", "label", *PROBS]
    assert [r["text"] for r in rows] == sample_sentences()
    assert [r["sent_idx"] for r in rows] == list(range(34))
    assert {r["doc_id"] for r in rows} == {"article"}
    probs = np.array([[r[p] for p in PROBS] for r in rows])
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-3)
    assert [r["label"] for r in rows] == [LABELS[i] for i in probs.argmax(1)]
    direct = Labeler.load(smoke_champion / "artifacts" / "labeler").predict(sample_sentences())
    assert [r["label"] for r in rows] == direct["label"].tolist()


def test_csv_table_and_a_bare_labeler_folder(smoke_champion: Path, capsys):
    labeler_dir = str(smoke_champion / "artifacts" / "labeler")
    article = str(SAMPLES / "article.txt")
    code, out, _ = run_main([article, "--model", labeler_dir, "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["text"] for r in rows] == sample_sentences()
    code, out, _ = run_main([article, "--model", labeler_dir], capsys)
    assert code == 0
    assert out.startswith("article: 34 sentences")
    counts = {x: sum(r["label"] == x for r in rows) for x in LABELS}
    for name, n in counts.items():
        assert f"\n{name:<13}  {n:>5}  " in out
    assert f"\n{'all':<13}  {34:>5}\n" in out


def test_stdin_and_content_sniffing(smoke_champion: Path, capsys, monkeypatch):
    page = b"<html><body><p>Share this</p><p>Police arrested two men.</p></body></html>"
    code, out, _ = run_main(
        ["-", "--model", str(smoke_champion), "--format", "jsonl"], capsys, monkeypatch, page
    )
    assert code == 0
    assert [(r["doc_id"], r["text"]) for r in jsonl(out)] == [
        ("stdin", "Share this"), ("stdin", "Police arrested two men."),
    ]  # fmt: skip
    lines = b'{"text": "Share this"}\n\n{"text": "Police arrested two men.", "doc_id": 7}\n'
    code, out, _ = run_main(
        ["-", "--model", str(smoke_champion), "--format", "jsonl"], capsys, monkeypatch, lines
    )
    assert [(r["doc_id"], r["sent_idx"]) for r in jsonl(out)] == [("stdin", 0), ("7", 0)]


def test_jsonl_rows_keep_ids_or_are_split(smoke_champion: Path, tmp_path: Path, capsys):
    model = ["--model", str(smoke_champion), "--format", "jsonl"]
    given = tmp_path / "given.jsonl"
    given.write_text(
        '{"doc_id": "a", "sent_idx": 5, "text": "Dr. Ng spoke. Then left."}\n'
        '{"doc_id": "b", "sent_idx": 2, "text": "Home"}\n'
        '{"doc_id": "a", "sent_idx": 9, "text": "' + "z" * 3000 + '"}\n',
        encoding="utf-8",
    )
    code, out, err = run_main([str(given), *model], capsys)
    assert code == 0
    rows = jsonl(out)
    assert [(r["doc_id"], r["sent_idx"]) for r in rows] == [("a", 5), ("b", 2), ("a", 9)]
    assert rows[0]["text"] == "Dr. Ng spoke. Then left." and len(rows[2]["text"]) == 3000
    assert "1 row(s) over 1,000 characters were labelled on that prefix" in err
    code, out, _ = run_main([str(given), *model, "--doc", "b"], capsys)
    assert [r["text"] for r in jsonl(out)] == ["Home"]

    articles = tmp_path / "articles.jsonl"
    body = (
        "Share\nThe council met in the town hall on Monday night. "
        "It voted to close the depot, a spokesman said."
    )
    articles.write_text(json.dumps({"doc_id": "x", "text": body}) + "\n", encoding="utf-8")
    code, out, _ = run_main([str(articles), *model], capsys)
    assert [(r["sent_idx"], r["text"]) for r in jsonl(out)] == [
        (0, "Share"), (1, "The council met in the town hall on Monday night."),
        (2, "It voted to close the depot, a spokesman said."),
    ]  # fmt: skip


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "ok"}\n{"text": "broken"\n', "bad.jsonl: line 2: not valid JSON"),
        ('{"text": "ok"}\n["a list"]\n', "bad.jsonl: line 2: expected an object"),
        ('{"sentence": "ok"}\n', "bad.jsonl: line 1: no 'text' key (keys: sentence)"),
        ('{"text": 42}\n', "bad.jsonl: line 1: 'text' must be a string, got int"),
        ('{"text": "a", "sent_idx": "3"}\n', "line 1: 'sent_idx' must be an integer, got '3'"),
    ],
)
def test_bad_jsonl_names_the_line(content, message, smoke_champion, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    code, out, err = run_main([str(path), "--model", str(smoke_champion)], capsys)
    assert (code, out) == (1, "")
    assert message in err and err.startswith("error: ")


@pytest.mark.reliability
def test_bad_arguments_get_one_line(smoke_champion: Path, tmp_path: Path, capsys):
    article = str(SAMPLES / "article.txt")
    cases = [
        ([article, "--model", str(tmp_path)], "not a model folder"),
        ([str(tmp_path / "missing.txt")], "missing.txt: cannot read (No such file or directory)"),
        ([str(tmp_path)], "is a folder"),
        (
            [article, "--model", str(smoke_champion), "--html", str(tmp_path / "no" / "r.html")],
            "r.html: cannot write the report (No such file or directory)",
        ),
        ([article, "--model", str(smoke_champion), "--doc", "x"], "--doc selects a document"),
        (
            [str(SAMPLES / "article.html"), "--model", str(smoke_champion), "--input-format",
             "jsonl"], "article.html: line 1: not valid JSON",
        ),
    ]  # fmt: skip
    for args, message in cases:
        code, out, err = run_main(args, capsys)
        assert (code, out) == (1, ""), args
        assert message in err, err


@pytest.mark.reliability
def test_bad_input_gets_a_message_or_a_bounded_result(
    smoke_champion, tmp_path, capsys, monkeypatch
):
    model = ["--model", str(smoke_champion), "--format", "jsonl"]
    monkeypatch.chdir(tmp_path)  # messages name the file as given

    def go(name: str, data: bytes):
        Path(name).write_bytes(data)
        return run_main([name, *model], capsys)

    assert go("empty.txt", b"")[2] == "error: empty.txt: nothing to label (the input is empty)\n"
    assert "only blank lines" in go("blank.txt", b"\n \n\t\r\n\n")[2]
    assert "no visible text in the HTML" in go("hidden.html", b"<script>x()</script><p hidden>a")[2]

    code, out, err = go("latin1.txt", "Good line.\nCafé bar closed.\n".encode("latin-1"))
    assert code == 0 and "invalid UTF-8 at byte offset 14 (line 2)" in err
    assert [r["text"] for r in jsonl(out)] == ["Good line.", "Caf\ufffd bar closed."]

    code, out, err = go("utf16.txt", "Police arrested two men.\n".encode("utf-16"))
    assert code == 0 and [r["text"] for r in jsonl(out)] == ["Police arrested two men."]
    assert "no text in any row" in go("empty-rows.jsonl", b'{"text": ""}\n{"text": "  "}\n')[2]

    code, out, err = go("garbage.bin", np.random.default_rng(0).bytes(4000))
    assert (code, out) == (1, "") and "looks like a binary file (NUL byte at byte offset" in err
    no_nul = np.random.default_rng(1).integers(1, 256, 4000).astype(np.uint8).tobytes()
    code, out, err = go("garbage2.bin", no_nul)
    assert (code, out) == (1, "") and "does not look like text" in err

    start = time.perf_counter()
    code, out, err = go("one-line.txt", b"word " * 200_000)  # 1 MB, no full stop
    rows = jsonl(out)
    assert code == 0 and len(rows) == 1000
    assert max(len(r["text"]) for r in rows) <= segment.MAX_SENTENCE_CHARS
    assert "cut into 1,000 chunks" in err
    assert time.perf_counter() - start < 30

    code, out, err = go("tiny.txt", "".join(f"w{i}\n" for i in range(20_000)).encode())
    rows = jsonl(out)
    assert code == 0 and len(rows) == 20_000 and rows[-1]["text"] == "w19999"
    assert "labelling 20,000 sentences" in err

    code, out, err = go("huge.txt", b"x" * (MAX_INPUT_BYTES + 1))
    assert (code, out) == (1, "") and "over the 5,000,000-byte input limit" in err


@pytest.mark.reliability
def test_a_subprocess_never_shows_a_traceback(smoke_champion: Path, tmp_path: Path):
    (tmp_path / "bin.dat").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    for args in (["bin.dat"], ["-"]):
        out = subprocess.run(
            [PY, "-m", "train.predict", *args, "--model", str(smoke_champion)],
            cwd=tmp_path, input=b"", capture_output=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 1
        assert b"Traceback" not in out.stderr and out.stderr.startswith(b"error: ")


# ---------------------------------------------------------------- the real-news article


@pytest.mark.skipif(
    not realnews.DEFAULT_PATH.parent.parent.is_dir(), reason="../shared is absent (fresh clone)"
)
def test_real_news_article_seed_000(smoke_champion: Path, capsys, monkeypatch):
    path = realnews.path()  # NEWS_KIT_REALNEWS may point elsewhere, as in train.realnews
    assert path.is_file(), f"{path.parent.parent} exists but holds no {path.name}"
    gold = [r for r in realnews.load() if r["doc_id"] == "seed-000"]
    assert len(gold) == 30
    model = ["--model", str(smoke_champion), "--format", "jsonl"]
    out = subprocess.run(
        [PY, "-m", "train.predict", str(path), "--doc", "seed-000", *model],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = jsonl(out.stdout)
    # Rows that carry sent_idx are already sentences: kept one for one, in order.
    assert [(r["doc_id"], r["sent_idx"], r["text"]) for r in rows] == [
        (g["doc_id"], g["sent_idx"], g["text"]) for g in gold
    ]
    direct = Labeler.load(smoke_champion / "artifacts" / "labeler").predict(
        [g["text"] for g in gold]
    )
    assert [r["label"] for r in rows] == direct["label"].tolist()

    # The same article as running text on stdin (kept in memory): the splitter loses nothing.
    article = "\n".join(g["text"] for g in gold)
    code, out, _ = run_main(["-", *model], capsys, monkeypatch, article.encode("utf-8"))
    rows = jsonl(out)
    assert code == 0 and len(rows) >= len(gold)
    squeeze = str.maketrans("", "", " \n")
    assert "".join(r["text"] for r in rows).translate(squeeze) == article.translate(squeeze)
