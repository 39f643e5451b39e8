"""Search an experiment's hyper-parameters with Optuna, then train the best as a normal run.

    python -m train.tune --exp tfidf_logreg --trials 20 [key.sub=value ...] [--no-export]
    make tune EXP=tfidf_logreg TRIALS=20 ARGS="data.source=my.csv"

The search space is the experiment's `search:` section (train.search_space). One MLflow parent
run `tune-<exp>-<stamp>` holds a nested run per trial (kind=trial): its resolved config, its
validation scores and per-epoch curves, and `trial_state` COMPLETE or PRUNED. A trial is scored
as runs are selected: the primary metric (validation macro-F1) after the same calibration.
Pruning: Optuna's MedianPruner on the per-epoch validation macro-F1 that iterative families
report (the fine-tuned transformer); TF-IDF and frozen embeddings have no epochs to prune on.
The best trial's configuration is then trained by train.run's own `train_one` as a normal
experiment run (`<exp>-tuned`) under the same parent and published like `make train` does:
chosen on validation macro-F1, registered as `champion`, exported to models/champion.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime
from typing import Any

import yaml

from train import distributed, provenance, tracking
from train.config import Config, ConfigError, load_config
from train.data import DataError, LoadedData, load_data
from train.encoder import EncoderError
from train.evaluate import score
from train.families import family_class
from train.families.base import EpochReport
from train.labeler import Labeler
from train.run import _data_key, calibrate, publish, train_one
from train.search_space import SearchSpace, load_search_space, override


def log_epoch(metrics: dict[str, float], step: int) -> None:
    """Per-epoch curves, named as train.run names them."""
    tracking.log_metrics({f"epoch_{k}": v for k, v in metrics.items()}, step)


def pruning_report(trial: Any, primary_metric: str, then: EpochReport = log_epoch) -> EpochReport:
    """The families' `report` callback for a trial: pass the epoch on (`then`, the curves),
    tell Optuna the epoch's validation score, and stop the trial when the pruner says so."""
    import optuna

    key = primary_metric.removeprefix("val_")

    def report(metrics: dict[str, float], step: int) -> None:
        then(metrics, step)
        if key in metrics:
            trial.report(metrics[key], step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {step}: {key}={metrics[key]:.4f} below median")

    return report


def _fit_and_score(cfg: Config, data: LoadedData, report: EpochReport) -> dict[str, float]:
    family = family_class(cfg.model.family)(cfg.model.params, cfg.labels, cfg.seed)
    family.fit(data.splits["train"], data.splits["validation"], report=report)
    labeler = Labeler(family, cfg.labels, cfg.to_dict())
    raws: dict[str, tuple] = {}
    metrics = calibrate(cfg, labeler, data, raws)  # label_bias can change labels: score after it
    metrics.update(score(labeler, data.splits["validation"], "val", raws["validation"]).metrics)
    return metrics


class _Tuner:
    def __init__(
        self, exp: str, overrides: list[str], space: SearchSpace, base: Config, datasets: dict
    ) -> None:
        self.exp, self.overrides, self.space, self.base = exp, overrides, space, base
        self.datasets = datasets
        self.parent = ""

    def config(self, values: dict[str, Any], name: str) -> Config:
        extra = [override(k, v) for k, v in values.items()] + [override("name", name)]
        cfg = load_config(self.exp, [*self.overrides, *extra])
        if _data_key(cfg) not in self.datasets:  # a searched data key: load that variant once
            self.datasets[_data_key(cfg)] = load_data(cfg.data, cfg.labels, cfg.seed)
        return cfg

    def objective(self, trial: Any) -> float:
        import optuna

        cfg = self.config(self.space.suggest(trial), f"{self.base.name}-trial-{trial.number:03d}")
        data = self.datasets[_data_key(cfg)]
        tags = {"kind": "trial", "family": cfg.model.family, "trial": str(trial.number)}
        pruned: optuna.TrialPruned | None = None
        # The trial's run ends FINISHED either way; a pruned one says so in `trial_state`.
        with tracking.run(cfg.name, parent_id=self.parent, tags=tags):
            tracking.log_config(cfg.to_dict())
            try:
                metrics = _fit_and_score(cfg, data, pruning_report(trial, cfg.primary_metric))
            except optuna.TrialPruned as exc:
                pruned = exc
                tracking.log_tags({"trial_state": "PRUNED"})
            else:
                tracking.log_metrics(metrics)
                tracking.log_tags({"trial_state": "COMPLETE"})
        if pruned is not None:
            print(f"[trial {trial.number}] pruned: {pruned}")
            raise pruned
        value = metrics[cfg.primary_metric]
        print(f"[trial {trial.number}] {cfg.primary_metric}={value:.4f} {trial.params}")
        return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp", required=True, help="one experiment with a `search:` section")
    parser.add_argument("--trials", type=int, default=20, help="number of Optuna trials")
    parser.add_argument(
        "--startup-trials", type=int, default=5, help="trials run in full before pruning starts"
    )
    parser.add_argument("overrides", nargs="*", help="key.sub=value, applied to every trial")
    parser.add_argument("--no-export", action="store_true", help="track and register only")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be ≥ 1")
    if distributed.world_size() > 1:
        print(
            "error: train.tune runs as one process; use train.run for multi-GPU training",
            file=sys.stderr,
        )
        return 2

    try:
        space = load_search_space(args.exp, args.overrides)
        base = load_config(args.exp, args.overrides)
        datasets = {_data_key(base): load_data(base.data, base.labels, base.seed)}
        uri = tracking.setup(base.tracking)
    except (ConfigError, DataError, EncoderError, tracking.TrackingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    tuner = _Tuner(args.exp, args.overrides, space, base, datasets)
    try:
        return _tune(tuner, uri, args.trials, args.startup_trials, not args.no_export)
    except KeyboardInterrupt:
        print("\ninterrupted: open runs are marked KILLED; models/ is unchanged", file=sys.stderr)
        return 130


def _tune(tuner: _Tuner, uri: str, trials: int, startup: int, export: bool) -> int:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = tuner.base
    study = optuna.create_study(
        direction="maximize",  # primary metrics are validation scores: higher is better
        sampler=optuna.samplers.TPESampler(seed=base.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=startup),
        study_name=f"tune-{base.name}",
    )
    keys = ", ".join(p.key for p in tuner.space.params)
    print(f"tracking to {uri}, experiment '{base.tracking.experiment}'")
    print(f"tuning {base.name}: {trials} trials over {keys}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    tags = {"kind": "tune", "family": base.model.family, **provenance.tags()}
    with tracking.run(f"tune-{base.name}-{stamp}", tags=tags) as parent:
        tuner.parent = parent
        space = {p.key: p.spec() for p in tuner.space.params}
        tracking.log_text(yaml.safe_dump(space, sort_keys=False), "search_space.yaml")
        study.optimize(tuner.objective, n_trials=trials)
        table = study.trials_dataframe(attrs=("number", "value", "state", "params"))
        tracking.log_table(table, "trials.json")
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            print("error: every trial was pruned; nothing to train", file=sys.stderr)
            return 1
        best = study.best_trial
        pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
        tracking.log_tags({"best_trial": str(best.number)})
        tracking.log_metrics({f"best_trial_{base.primary_metric}": best.value, "pruned": pruned})
        print(f"\nbest trial {best.number}: {base.primary_metric}={best.value:.4f} {best.params}")
        print(f"({len(done)} complete, {pruned} pruned)")

        final = tuner.config(best.params, f"{base.name}-tuned")
        result = train_one(final, tuner.datasets[_data_key(final)], parent)
        publish([result], [final], tuner.datasets, export)
    return 0


if __name__ == "__main__":
    sys.exit(main())
