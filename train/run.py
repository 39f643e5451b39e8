"""Train experiments, track every run in MLflow, pick the champion, register and export it.

    python -m train.run --exp tfidf_logreg,embed_logreg,minilm_finetune [key.sub=value ...]
    make train                                   # the default set
    make train EXP=tfidf_logreg ARGS="model.params.C=2"

Steps: resolve every config and load every data set first (a mistake fails before any run is
created), then one parent run holding one child run per experiment, then selection on
validation macro-F1 (train.select: within one standard error of the best, the fastest wins),
registration under the alias `champion`, and export to models/champion.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from train import distributed, provenance, realnews, tracking
from train.calibration import (
    adjust,
    crossfit_label_bias_f1,
    expected_calibration_error,
    fit_label_bias,
    fit_temperature,
    reliability_points,
)
from train.config import ROOT, Config, ConfigError, load_config
from train.data import DataError, LoadedData, load_data
from train.encoder import EncoderError
from train.evaluate import errors_table, score
from train.export import export_atomically, model_card
from train.families import family_class
from train.labeler import Labeler
from train.metrics import bootstrap_se
from train.plots import close, confusion_figure, reliability_figure
from train.select import RunResult, choose


def _data_key(cfg: Config) -> tuple:
    return (repr(cfg.data), tuple(cfg.labels), cfg.seed)


def train_one(
    cfg: Config, data: LoadedData, parent_id: str, extra_tags: dict[str, str] | None = None
) -> RunResult:
    labels = cfg.labels
    tags = {
        "family": cfg.model.family,
        "kind": "experiment",
        "data_digest": data.digest,
        **provenance.tags(),
        **(extra_tags or {}),
    }
    with tracking.run(cfg.name, parent_id=parent_id, tags=tags) as run_id:
        tracking.log_config(cfg.to_dict())
        tracking.log_text(provenance.environment_json(), "environment.json")
        for split, context in (("train", "training"), ("validation", "validation")):
            tracking.log_dataset(data.frames[split], data.source, f"{split}", context)
        tracking.log_dataset(data.frames["test"], data.source, "test", "testing")

        family = family_class(cfg.model.family)(cfg.model.params, labels, cfg.seed)
        print(
            f"[{cfg.name}] training {cfg.model.family} on {len(data.splits['train'])} sentences",
            flush=True,
        )
        start = time.perf_counter()
        family.fit(
            data.splits["train"],
            data.splits["validation"],
            report=lambda metrics, step: tracking.log_metrics(
                {f"epoch_{k}": v for k, v in metrics.items()}, step
            ),
        )
        train_seconds = time.perf_counter() - start
        labeler = Labeler(family, labels, cfg.to_dict())
        raws: dict[str, tuple] = {}
        metrics = {"train_seconds": train_seconds, **calibrate(cfg, labeler, data, raws)}

        for split, prefix in (("validation", "val"), ("test", "test")):
            result = score(labeler, data.splits[split], prefix, raws[split])
            metrics.update(result.metrics)
            fig = confusion_figure(result.confusion, labels, f"{cfg.name}: {split}")
            tracking.log_figure(fig, f"confusion_{split}.png")
            close(fig)
            tracking.log_text(result.report, f"report_{split}.txt")
            if split == "validation":
                errors = errors_table(data.splits[split], result, labels)
                tracking.log_table(errors, "misclassified_validation.json")
                valid = data.splits[split]
                # Selection reads both: the score's noise (train.select) and the speed that
                # breaks a tie inside it, timed on validation so test plays no part.
                metrics["val_macro_f1_se"] = bootstrap_se(
                    valid.labels, result.proba.argmax(1), valid.doc_ids, seed=cfg.seed
                )
                metrics["infer_sentences_per_s"] = len(valid) / max(result.seconds, 1e-9)
        if "val_macro_f1_crossfit" in metrics:
            # Label biases were tuned on validation: choose on their cross-fitted score.
            metrics["val_macro_f1_in_sample"] = metrics["val_macro_f1"]
            metrics["val_macro_f1"] = metrics.pop("val_macro_f1_crossfit")
        metrics.update(realnews.evaluate_if_present(labeler))
        tracking.log_metrics(metrics)
        tracking.log_tags({f"provenance.{k}": v for k, v in family.provenance().items()})

        with tempfile.TemporaryDirectory(prefix="labeler-") as tmp:
            folder = Path(tmp) / "labeler"  # the folder's name becomes the artifact's name
            labeler.save(folder)
            model_uri = tracking.log_labeler(
                folder, labels, provenance.requirements(family.requirements)
            )
        return RunResult(
            cfg.name,
            cfg.model.family,
            run_id,
            model_uri,
            metrics,
            train_seconds,
            family.provenance(),
        )


def calibrate(
    cfg: Config, labeler: Labeler, data: LoadedData, raws: dict[str, tuple] | None = None
) -> dict[str, float]:
    """Fit temperature (and optional label biases) on validation; log ECE before and after
    on validation and test, with a reliability diagram. `raws`, when given, receives each
    split's uncalibrated probabilities and inference seconds, so scoring need not predict
    twice (for the context model that second pass cost ~25 s per run on 2 cores)."""
    valid, test = data.splits["validation"], data.splits["test"]
    start = time.perf_counter()
    raw_val = labeler.raw_proba(valid.texts, valid.contexts or None)
    val_seconds = time.perf_counter() - start
    if cfg.calibration.temperature:
        labeler.temperature = fit_temperature(raw_val, valid.labels)
    out: dict[str, float] = {"temperature": labeler.temperature}
    if cfg.calibration.label_bias:
        scaled = adjust(raw_val, labeler.temperature)
        out["val_macro_f1_crossfit"] = crossfit_label_bias_f1(scaled, valid.labels, cfg.seed)
        labeler.label_bias = fit_label_bias(scaled, valid.labels)
    start = time.perf_counter()
    raw_test = labeler.raw_proba(test.texts, test.contexts or None)
    if raws is not None:
        raws["validation"] = (raw_val, val_seconds)
        raws["test"] = (raw_test, time.perf_counter() - start)
    for name, split, raw in (("val", valid, raw_val), ("test", test, raw_test)):
        cal = adjust(raw, labeler.temperature, labeler.label_bias)
        out[f"{name}_ece_raw"] = expected_calibration_error(raw, split.labels)
        out[f"{name}_ece"] = expected_calibration_error(cal, split.labels)
        if name == "test":
            fig = reliability_figure(
                reliability_points(raw, split.labels),
                reliability_points(cal, split.labels),
                f"{cfg.name}: test reliability (T={labeler.temperature:.2f})",
            )
            tracking.log_figure(fig, "reliability_test.png")
            close(fig)
    return out


def summary_table(results: list[RunResult], winner: RunResult) -> str:
    width = max([26, *(len(r.name) + 2 for r in results)])
    head = (
        f"{'run':<{width}}{'family':<17}{'val F1':>8}{'± se':>7}{'test F1':>9}{'train s':>9}"
        f"{'sent/s':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        mark = "  <- champion" if r is winner else ""
        lines.append(
            f"{r.name:<{width}}{r.family:<17}{r.metrics['val_macro_f1']:>8.3f}"
            f"{r.metrics.get('val_macro_f1_se', 0.0):>7.3f}"
            f"{r.metrics['test_macro_f1']:>9.3f}{r.seconds:>9.1f}"
            f"{r.metrics['infer_sentences_per_s']:>9.0f}{mark}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp", required=True, help="comma-separated experiment names")
    parser.add_argument("overrides", nargs="*", help="key.sub=value, applied to every experiment")
    parser.add_argument("--no-export", action="store_true", help="track and register only")
    args = parser.parse_args(argv)

    try:
        configs = [load_config(e.strip(), args.overrides) for e in args.exp.split(",") if e]
        datasets = {}
        for cfg in configs:
            if _data_key(cfg) not in datasets:
                datasets[_data_key(cfg)] = load_data(cfg.data, cfg.labels, cfg.seed)
        # Under `accelerate launch` / `torchrun` only rank 0 tracks; the others just train.
        if distributed.init() != 0:
            return distributed.follow(configs, datasets, _data_key)
        uri = tracking.setup(configs[0].tracking)
    except (ConfigError, DataError, EncoderError, tracking.TrackingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    # `kill` (SIGTERM) ends runs like Ctrl-C does: marked KILLED, nothing exported.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _train_all(configs, datasets, uri, export=not args.no_export)
    except KeyboardInterrupt:
        print("\ninterrupted: open runs are marked KILLED; models/ is unchanged", file=sys.stderr)
        return 130


def _train_all(configs: list[Config], datasets: dict, uri: str, export: bool) -> int:
    first = configs[0]
    print(f"tracking to {uri}, experiment '{first.tracking.experiment}'")
    results: list[RunResult] = []
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with tracking.run(f"train-{stamp}", tags={"kind": "train", **provenance.tags()}) as parent:
        for cfg in configs:
            results.append(train_one(cfg, datasets[_data_key(cfg)], parent))
        publish(results, configs, datasets, export)
    return 0


# Shared with train.tune: the winner of a set of runs becomes the champion the same way.
def publish(results: list[RunResult], configs: list[Config], datasets: dict, export: bool) -> None:
    """Inside the parent run: choose the winner, register it as champion, export it."""
    first = configs[0]
    winner = choose(results, first.primary_metric)
    version = tracking.register(winner.model_uri, first.tracking.registered_model)
    registered = f"models:/{first.tracking.registered_model}@champion (version {version})"
    tracking.log_tags({"champion_run": winner.run_id, "champion": winner.name})
    tracking.log_metrics({"champion_" + first.primary_metric: winner.metrics["val_macro_f1"]})
    print("\n" + summary_table(results, winner))
    print(f"\nregistered {registered}")
    if export:
        data = datasets[_data_key(next(c for c in configs if c.name == winner.name))]
        card = model_card(
            name=winner.name,
            family=winner.family,
            labels=first.labels,
            metrics=winner.metrics,
            data_source=data.source,
            data_digest=data.digest,
            sizes={k: len(v) for k, v in data.splits.items()},
            run_id=winner.run_id,
            registered=registered,
            provenance=winner.provenance,
        )
        dest = export_atomically(
            ROOT / first.export.dir,
            lambda folder: tracking.download_model(winner.model_uri, folder),
            card,
        )
        print(f"exported to {dest}")


if __name__ == "__main__":
    sys.exit(main())
