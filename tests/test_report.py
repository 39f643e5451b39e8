"""The HTML report of `python -m train.predict --html`: escaped, labelled, drawn by a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from tests.conftest import LABELS, PY, ROOT
from train.predict import Item
from train.report import COLOURS, css_name, render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


class Spans(HTMLParser):
    """(data-label, class, title, text) of every sentence element, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spans: list[dict] = []
        self.depth = 0  # inside a sentence span

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "span" and "s" in (attr.get("class") or "").split():
            self.spans.append({**attr, "text": ""})
            self.depth = 1
        elif self.depth and tag == "span":
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag == "span":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.spans[-1]["text"] += data


def spans_of(html: str) -> list[dict]:
    parser = Spans()
    parser.feed(html)
    return parser.spans


def frame(texts: list[str], labels: list[str], top: float = 0.8) -> tuple[pd.DataFrame, list]:
    rows = []
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        rest = (1 - top) / (len(LABELS) - 1)
        probs = {f"prob_{x}": top if x == label else rest for x in LABELS}
        rows.append({"doc_id": "d<1>", "sent_idx": i, "text": text, "label": label, **probs})
    blocks = [0 if i == 0 else (i + 1) // 2 for i in range(len(texts))]  # h1, then pairs
    items = [
        Item("d<1>", i, t, b, "h1" if b == 0 else "p", t)
        for i, (t, b) in enumerate(zip(texts, blocks, strict=True))
    ]
    return pd.DataFrame(rows), items


def test_text_is_escaped_and_each_sentence_carries_its_label():
    texts = ['<script>alert("x")</script> & more', "It's <b>bold</b>?", "Plain.", "Last"]
    labels = ["opinion", "boilerplate", "factual_claim", "attribution"]
    df, items = frame(texts, labels)
    page = render(df, items, LABELS, source="<evil>.html", model="m&m")
    assert "<script>" not in page and "<b>bold" not in page and "<evil>" not in page
    spans = spans_of(page)
    assert [s["text"] for s in spans] == texts
    assert [s["data-label"] for s in spans] == labels
    assert [s["class"] for s in spans][:2] == ["s label-opinion", "s label-boilerplate"]
    assert spans[0]["title"].startswith("opinion 0.80 | ") and spans[0]["title"].count("|") == 4
    assert page.count('<div class="b b-') == 3  # the heading, a pair, then one
    assert 'class="b b-h1" role="heading"' in page


def test_unsure_sentences_and_unknown_labels():
    df, items = frame(["Maybe.", "Sure."], ["opinion", "factual_claim"], top=0.3)
    assert all("unsure" in s["class"] for s in spans_of(render(df, items, LABELS, "x", "m")))
    odd = ["odd label/1", *LABELS[1:]]
    df = df.rename(columns={"prob_factual_claim": "prob_odd label/1"})
    df["label"] = ["odd label/1", "opinion"]
    page = render(df, items, odd, "x", "m")
    assert css_name("odd label/1") == "odd-label-1" and ".label-odd-label-1{" in page
    assert [s["data-label"] for s in spans_of(page)] == ["odd label/1", "opinion"]


def chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e
def test_report_renders_in_headless_chromium(smoke_champion: Path, tmp_path: Path):
    # `make test` installs Debian's chromium first (target `browser`); a missing browser is a
    # failure, never a skip, so a green run always means the page was really rendered.
    assert CHROMIUM is not None, "chromium is missing: run `make browser`"
    report = tmp_path / "report.html"
    out = subprocess.run(
        [PY, "-m", "train.predict", str(ROOT / "data" / "samples" / "article.html"),
         "--model", str(smoke_champion), "--format", "jsonl", "--html", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]

    dom = chromium(["--dump-dom", report.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    spans = spans_of(dom.stdout)
    assert [(s["data-label"], s["text"]) for s in spans] == [(r["label"], r["text"]) for r in rows]
    assert all(
        f"label-{r['label']}" in s["class"].split() for s, r in zip(spans, rows, strict=True)
    )
    assert all(s["title"].startswith(f"{r['label']} ") for s, r in zip(spans, rows, strict=True))

    png = tmp_path / "shot.png"
    shot = chromium([f"--screenshot={png}", "--window-size=1200,1600", report.as_uri()], tmp_path)
    assert shot.returncode == 0 and png.is_file(), shot.stderr[-2000:]
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 1600)
    colours = image.getcolors(maxcolors=1 << 22)
    background = max(colours)[1]
    drawn = sum(n for n, c in colours if c != background) / (1200 * 1600)
    assert len(colours) > 200 and drawn > 0.2  # text, chips and fills, not a blank page
    present = {c for _, c in colours}
    for label in LABELS:  # the legend draws every label's fill colour
        fill = COLOURS[label][0]
        assert tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5)) in present, label
