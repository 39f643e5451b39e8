"""Write the champion to models/champion atomically, with its model card.

The new model is assembled in a hidden sibling folder and swapped in by rename, so a failed or
interrupted export never leaves a half-written model and never removes the previous champion.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _old(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.previous")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """Two `make train` finishing together take turns at the swap instead of interleaving."""
    with dest.with_name(f".{dest.name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def recover(dest: Path) -> None:
    """Undo a swap cut short between its two renames: the previous champion comes back.
    Also removes half-written folders left by exports whose process has died."""
    old = _old(dest)
    if old.exists() and not dest.exists():
        os.replace(old, dest)
    elif old.exists():
        shutil.rmtree(old)
    for stale in dest.parent.glob(f".{dest.name}.incoming-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def export_atomically(dest: Path, fill: Callable[[Path], Any], card: str) -> Path:
    """`fill(folder)` writes the model into a fresh folder; then it replaces `dest`."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    incoming = dest.with_name(f".{dest.name}.incoming-{os.getpid()}")
    try:
        with _locked(dest):
            recover(dest)
        fill(incoming)
        if not (incoming / "MLmodel").exists():
            raise RuntimeError(f"export to {dest}: the downloaded model has no MLmodel file")
        (incoming / "README.md").write_text(card, encoding="utf-8")
        with _locked(dest):
            old = _old(dest)
            if dest.exists():
                os.replace(dest, old)
            os.replace(incoming, dest)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return dest


def _metric_table(metrics: dict[str, float], labels: list[str]) -> str:
    rows = ["| label | val P | val R | val F1 | test F1 |", "|---|---|---|---|---|"]
    for label in labels:
        rows.append(
            f"| {label} | {metrics.get(f'val_precision_{label}', 0):.3f} "
            f"| {metrics.get(f'val_recall_{label}', 0):.3f} "
            f"| {metrics.get(f'val_f1_{label}', 0):.3f} "
            f"| {metrics.get(f'test_f1_{label}', 0):.3f} |"
        )
    return "\n".join(rows)


def model_card(
    *,
    name: str,
    family: str,
    labels: list[str],
    metrics: dict[str, float],
    data_source: str,
    data_digest: str,
    sizes: dict[str, int],
    run_id: str,
    registered: str,
    provenance: dict[str, str],
) -> str:
    """The README.md that travels inside the exported model folder."""
    extra = "".join(f"- {k}: `{v}`\n" for k, v in provenance.items() if v)
    se = metrics.get("val_macro_f1_se", 0.0)
    return f"""# News sentence labeler: `{name}` ({family})

Labels each sentence of a news page as one of: {", ".join(f"`{x}`" for x in labels)}
(see data/LABELLING.md in the project). Chosen as champion by validation macro-F1: runs
within one standard error of the best score tie, and the fastest of them wins.

## Use
```python
import mlflow
model = mlflow.pyfunc.load_model("models/champion")
model.predict(["Police arrested three men on Tuesday.", "Share this article"])
# -> DataFrame: label, prob_<label> for each label (rows sum to 1), in input order
```

## Metrics
Validation macro-F1 **{metrics.get("val_macro_f1", 0):.3f}** (± {se:.3f}, document-level
bootstrap), test macro-F1 **{metrics.get("test_macro_f1", 0):.3f}**, test accuracy
{metrics.get("test_accuracy", 0):.3f}.

{_metric_table(metrics, labels)}
{_real_news(metrics, labels)}
## Data
Source `{data_source}` (digest `{data_digest}`); sentences per split:
train {sizes.get("train", 0)}, validation {sizes.get("validation", 0)}, test {sizes.get("test", 0)}.

## Provenance
- MLflow run: `{run_id}`; registry: `{registered}`
{extra}- The resolved training config is `artifacts/labeler/config.yaml` in this folder.

## Intended use and limits
For fact-checkers, media researchers and newsroom data teams who need to find the checkable
claims, attributions, opinions and page furniture in English news text, as a first pass that a
person reviews. It labels one sentence at a time: a sentence cut from its neighbours (a quote
whose speaker is in the previous sentence, a caption) is the hardest case. Trained on an
original corpus written in the style of news pages, not on real articles: expect lower scores
on real pages than the test figures above (the project README reports real-news numbers).
Opinion and the rare hedged claims are the least reliable labels on real pages. Not for
judging whether a claim is true.
"""


def _real_news(metrics: dict[str, float], labels: list[str]) -> str:
    """Real-news dev scores, when the training run had the set (never used to choose)."""
    if "realnews_dev_macro_f1" not in metrics:
        return ""
    per = " / ".join(f"{metrics.get(f'realnews_dev_f1_{x}', 0):.3f}" for x in labels)
    return (
        f"\nOn real news pages (the project's held-out dev set of real sentences, never used to "
        f"choose): macro-F1 **{metrics['realnews_dev_macro_f1']:.3f}**; per label {per}.\n"
    )
