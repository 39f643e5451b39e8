"""Renderings of a labelled article: the terminal table and the self-contained HTML page.

    python -m train.predict data/samples/article.html --html report.html

The HTML page needs nothing else (no script, no external CSS, fonts or images): each sentence is a
`<span class="s label-opinion" data-label="opinion" title="opinion 0.82 | ...">` inside its
block, coloured by label, with a legend and a per-label summary; hovering shows the
probabilities. All text is escaped.
"""

from __future__ import annotations

import html
import re
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

# (background, accent): light fills keep black text readable; accents mark the legend and bars.
COLOURS = {
    "factual_claim": ("#dbeafe", "#2563eb"),
    "hedged_claim": ("#fef3c7", "#d97706"),
    "attribution": ("#dcfce7", "#16a34a"),
    "opinion": ("#fce7f3", "#db2777"),
    "boilerplate": ("#e7e5e4", "#78716c"),
}
SPARE = [("#ede9fe", "#7c3aed"), ("#cffafe", "#0891b2"), ("#ffedd5", "#ea580c")]
UNSURE = 0.5  # below this top probability a sentence is drawn with a dashed outline
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def css_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", label)


def sentences(n: int) -> str:
    return f"{n:,} sentence" + ("" if n == 1 else "s")


def colours(labels: Sequence[str]) -> dict[str, tuple[str, str]]:
    spare = iter(SPARE * (len(labels) // len(SPARE) + 1))
    return {x: COLOURS.get(x) or next(spare) for x in labels}


# ---------------------------------------------------------------- terminal table


def write_table(df: pd.DataFrame, labels: list[str], out: TextIO) -> None:
    """Per document: one row per sentence (wrapped to the terminal), then per-label counts."""
    width = max(60, shutil.get_terminal_size((100, 24)).columns - 1)
    label_w = max(len(x) for x in [*labels, "label"])
    indent = " " * (6 + 2 + label_w + 2 + 4 + 2)
    for doc_id, part in df.groupby("doc_id", sort=False):
        out.write(f"{doc_id}: {sentences(len(part))}\n\n")
        out.write(f"{'#':>6}  {'label':<{label_w}}  prob  text\n")
        # Records, not itertuples: a label such as "hedged-claim" is no Python identifier.
        for row in part.to_dict(orient="records"):
            prob, label = row[f"prob_{row['label']}"], row["label"]
            lines = textwrap.wrap(row["text"], max(20, width - len(indent))) or [""]
            out.write(f"{row['sent_idx']:>6}  {label:<{label_w}}  {prob:.2f}  {lines[0]}\n")
            out.writelines(f"{indent}{line}\n" for line in lines[1:])
        counts = part["label"].value_counts()
        out.write(f"\n{'label':<{label_w}}  count  share\n")
        for name in labels:
            n = int(counts.get(name, 0))
            out.write(f"{name:<{label_w}}  {n:>5}  {n / len(part):>5.0%}\n")
        out.write(f"{'all':<{label_w}}  {len(part):>5}\n\n")


# ---------------------------------------------------------------- HTML


def _style(labels: Sequence[str]) -> str:
    rules = []
    for label, (fill, accent) in colours(labels).items():
        name = css_name(label)
        rules.append(
            f".label-{name}{{background:{fill};box-shadow:inset 0 -2px 0 {accent}}}"
            f".chip-{name}{{background:{fill};border-left:6px solid {accent}}}"
            f".bar-{name}{{background:{accent}}}"
        )
    return CSS + "\n".join(rules)


CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:#1c1917;font:16px/1.5 system-ui,"DejaVu Sans",sans-serif}
header.top{background:#1e293b;color:#f8fafc;padding:18px 32px}
header.top h1{margin:0;font-size:20px;font-weight:600}
header.top p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
.legend{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:14px 32px;
  background:#fff;border-bottom:1px solid #e2e8f0;position:sticky;top:0;z-index:1}
.chip{padding:3px 10px;border-radius:4px;font-size:14px}
.chip b{font-weight:600;margin-left:6px}
.toggle{margin-left:auto;font-size:13px;color:#475569;cursor:pointer;user-select:none}
.toggle::before{content:"☐ "}
.toggle-box{position:absolute;opacity:0}
#show:checked~.legend .toggle::before{content:"☑ "}
#show:focus-visible~.legend .toggle{outline:2px solid #2563eb}
main{max-width:800px;margin:24px auto;padding:0 24px}
article{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:24px 40px;
  margin-bottom:24px;font-family:Georgia,"DejaVu Serif",serif;font-size:17px;line-height:1.8}
article h2.doc{font:600 13px system-ui,sans-serif;color:#64748b;text-transform:uppercase;
  letter-spacing:.06em;margin:0 0 12px}
.b{margin:0 0 14px}
.b-h1{font-size:30px;font-weight:700;line-height:1.3}
.b-h2,.b-h3{font-size:22px;font-weight:700;line-height:1.35;margin-top:22px}
.b-h4,.b-h5,.b-h6{font-weight:700}
.b-li{margin:0 0 6px;padding-left:18px;position:relative}
.b-li::before{content:"•";position:absolute;left:2px;color:#94a3b8}
.b-figcaption,.b-caption{font-size:15px;font-style:italic}
.b-blockquote{border-left:3px solid #cbd5e1;padding-left:14px}
.s{border-radius:3px;padding:1px 2px;-webkit-box-decoration-break:clone;box-decoration-break:clone}
.s:hover{outline:2px solid #0f172a}
.s.unsure{outline:1px dashed #475569}
#show:checked~main .s::before{content:attr(data-label);font:600 10px system-ui,sans-serif;
  text-transform:uppercase;color:#334155;margin-right:4px;vertical-align:2px}
table.summary{border-collapse:collapse;width:100%;font:14px system-ui,sans-serif;margin-top:8px}
.summary th,.summary td{padding:5px 8px;border-bottom:1px solid #e2e8f0;text-align:left}
.summary th{font-weight:600;color:#475569;white-space:nowrap}
.summary .n{text-align:right;font-variant-numeric:tabular-nums;width:72px}
.summary .track{width:45%}
.summary td.track{background:linear-gradient(#f1f5f9,#f1f5f9) no-repeat center/100% 10px;
  background-origin:content-box;background-clip:content-box}
.bar{height:10px;border-radius:5px;min-width:2px}
footer{color:#64748b;font-size:13px;text-align:center;margin:0 0 32px}
"""


def _sentence(row: dict[str, Any], labels: Sequence[str]) -> str:
    probs = sorted(((row[f"prob_{x}"], x) for x in labels), reverse=True)
    title = " | ".join(f"{name} {p:.2f}" for p, name in probs)
    unsure = " unsure" if probs[0][0] < UNSURE else ""
    label = html.escape(row["label"])
    return (
        f'<span class="s label-{css_name(row["label"])}{unsure}" data-label="{label}"'
        f' data-idx="{int(row["sent_idx"])}" title="{html.escape(title)}">'
        f"{html.escape(row['text'])}</span>"
    )


def _summary(part: pd.DataFrame, labels: Sequence[str]) -> str:
    counts = part["label"].value_counts()
    top = part[[f"prob_{x}" for x in labels]].max(axis=1)
    rows = []
    for name in labels:
        n = int(counts.get(name, 0))
        share = n / len(part)
        conf = f"{top[part['label'] == name].mean():.2f}" if n else "–"
        rows.append(
            f'<tr><td><span class="chip chip-{css_name(name)}">{html.escape(name)}</span></td>'
            f'<td class="n">{n}</td><td class="n">{share:.0%}</td><td class="n">{conf}</td>'
            f'<td class="track"><div class="bar bar-{css_name(name)}" '
            f'style="width:{share * 100:.1f}%"></div></td></tr>'
        )
    head = (
        '<tr><th>label</th><th class="n">count</th><th class="n">share</th>'
        '<th class="n">mean prob</th><th class="track">share of sentences</th></tr>'
    )
    return f'<table class="summary">{head}{"".join(rows)}</table>'


def render(
    df: pd.DataFrame, items: Sequence[Any], labels: Sequence[str], source: str, model: str
) -> str:
    """The whole page; `items[i].block` / `.kind` say which block row i belongs to."""
    docs = []
    df = df.reset_index(drop=True)  # row i of df is items[i]
    for doc_id, part in df.groupby("doc_id", sort=False):
        blocks: list[tuple[str, list[str]]] = []
        last = None
        for pos, row in zip(part.index, part.to_dict(orient="records"), strict=True):
            item = items[pos]
            if (item.doc_id, item.block) != last:
                blocks.append((re.sub(r"[^a-z0-9]", "", item.kind.lower()), []))
                last = (item.doc_id, item.block)
            blocks[-1][1].append(_sentence(row, labels))
        body = "\n".join(
            f'<div class="b b-{kind}">{" ".join(spans)}</div>'
            if kind not in _HEADINGS
            else f'<div class="b b-{kind}" role="heading">{" ".join(spans)}</div>'
            for kind, spans in blocks
        )
        docs.append(
            f'<article id="doc-{html.escape(str(doc_id))}" data-doc="{html.escape(str(doc_id))}">'
            f'<h2 class="doc">{html.escape(str(doc_id))} · {sentences(len(part))}</h2>\n{body}\n'
            f'<h2 class="doc" style="margin-top:28px">Summary</h2>{_summary(part, labels)}'
            "</article>"
        )
    totals = df["label"].value_counts()
    legend = "".join(
        f'<span class="chip chip-{css_name(x)}">{html.escape(x)}'
        f"<b>{int(totals.get(x, 0))}</b></span>"
        for x in labels
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sentence labels · {html.escape(source)}</title>
<style>{_style(labels)}</style></head>
<body>
<header class="top"><h1>Sentence labels · {html.escape(source)}</h1>
<p>{sentences(len(df))} · model {html.escape(model)} · hover a sentence for its probabilities;
a dashed outline marks a top probability under {UNSURE:.1f}</p></header>
<input type="checkbox" id="show" class="toggle-box">
<div class="legend">{legend}<label class="toggle" for="show">show label names</label></div>
<main>
{"".join(docs)}
</main>
<footer>news-sentence-kit · labels follow data/LABELLING.md</footer>
</body></html>
"""


def write_report(
    path: Path,
    df: pd.DataFrame,
    items: Sequence[Any],
    labels: Sequence[str],
    source: str,
    model: str,
) -> None:
    path.write_text(render(df, items, labels, source, model), encoding="utf-8")
