"""Everything MLflow: the store, runs, what each run logs, the registry. No other module of the
project imports mlflow, so swapping or upgrading the tracker touches this package alone.

The default store is SQLite plus an artifact folder in ./mlruns (absolute URIs, so runs work
from any working directory); MLFLOW_TRACKING_URI, when set, wins (a team server).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import urllib.parse
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from train.config import ROOT, TrackingConfig

STORE_DIR = ROOT / "mlruns"
MODEL_CODE = Path(__file__).with_name("model_code.py")
PACKAGE_DIR = ROOT / "train"

# Set before mlflow is imported anywhere: no telemetry, no hub downloads, a quick failure
# (not minutes of retries) when a tracking server is unreachable.
for _key, _value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_OFFLINE": "1",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}.items():
    os.environ.setdefault(_key, _value)
# The dataset source is a plain path, which MLflow can read two equivalent ways and says so.
warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
# Our model file has no predict type hints on purpose (see signature()); MLflow nags about it.
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")
# Logged datasets carry sent_idx (an int column); the hint is about serving schemas, not ours.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")

import mlflow  # noqa: E402
from mlflow.models import ModelSignature  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from mlflow.types import ColSpec, Schema  # noqa: E402


class TrackingError(RuntimeError):
    """The tracking store cannot be used; phrased for the user."""


def default_uri() -> str:
    # Four slashes: sqlite:/// plus an absolute path that itself starts with "/".
    return f"sqlite:///{STORE_DIR / 'mlflow.db'}"


def resolve_uri(cfg: TrackingConfig) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or cfg.uri or default_uri()


def _check_reachable(uri: str) -> None:
    """Fail in seconds with a clear message instead of retrying for minutes."""
    parts = urllib.parse.urlparse(uri)
    if parts.scheme not in ("http", "https"):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=5).close()
    except OSError as exc:
        raise TrackingError(
            f"tracking server {uri} is unreachable ({exc}); start it, or unset "
            f"MLFLOW_TRACKING_URI to use the local store in {STORE_DIR}"
        ) from exc


def _sqlite_artifacts(uri: str) -> str | None:
    """Artifacts of a SQLite store live beside the database file, never in the cwd."""
    if not uri.startswith("sqlite:///"):
        return None
    db = Path(uri.removeprefix("sqlite:///"))
    db.parent.mkdir(parents=True, exist_ok=True)
    return (db.parent / "artifacts").resolve().as_uri()


@contextlib.contextmanager
def _init_lock(uri: str) -> Iterator[None]:
    """Two processes creating a SQLite store at once race in its schema migration and one
    fails; creation is serialised with a lock file beside the database. Once the schema
    exists, SQLite's own locking is enough for concurrent runs."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    lock = Path(uri.removeprefix("sqlite:///") + ".lock")
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def setup(cfg: TrackingConfig) -> str:
    """Point MLflow at the store and experiment; returns the tracking URI."""
    uri = resolve_uri(cfg)
    _check_reachable(uri)
    location = _sqlite_artifacts(uri)
    mlflow.set_tracking_uri(uri)
    with _init_lock(uri):
        if mlflow.get_experiment_by_name(cfg.experiment) is None:
            mlflow.create_experiment(cfg.experiment, artifact_location=location)
    mlflow.set_experiment(cfg.experiment)
    return uri


def ui_url(base: str, cfg: TrackingConfig, metric: str = "val_macro_f1") -> str:
    """A UI link that opens the experiment sorted by the primary metric, best first."""
    mlflow.set_tracking_uri(resolve_uri(cfg))
    exp = mlflow.get_experiment_by_name(cfg.experiment)
    if exp is None:
        return f"{base}/ (no runs yet: run `make train` first)"
    order = urllib.parse.quote(f"metrics.`{metric}`")
    return f"{base}/#/experiments/{exp.experiment_id}?orderByKey={order}&orderByAsc=false"


# ---------------------------------------------------------------- runs


@contextmanager
def run(
    name: str, parent_id: str | None = None, tags: dict[str, str] | None = None
) -> Iterator[str]:
    """A run that ends FAILED on an exception and KILLED on Ctrl-C, keeping what it logged."""
    active = mlflow.start_run(
        run_name=name, nested=parent_id is not None, parent_run_id=parent_id, tags=tags
    )
    try:
        yield active.info.run_id
    except KeyboardInterrupt:
        mlflow.end_run(status="KILLED")
        raise
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    else:
        mlflow.end_run(status="FINISHED")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def log_config(config: dict[str, Any]) -> None:
    mlflow.log_params({k: str(v)[:6000] for k, v in _flatten(config).items()})
    mlflow.log_dict(config, "config.yaml")


def log_tags(tags: dict[str, str]) -> None:
    mlflow.set_tags(tags)


def log_dataset(frame: pd.DataFrame, source: str, name: str, context: str) -> str:
    """Log a split as a dataset input; returns MLflow's digest of it."""
    dataset = mlflow.data.from_pandas(frame, source=source, name=name, targets="label")
    mlflow.log_input(dataset, context=context)
    return dataset.digest


def log_metrics(
    metrics: dict[str, float], step: int | None = None, model_id: str | None = None
) -> None:
    """`model_id` links the metrics to a logged model (evaluations of an exported model);
    a model logged in another store cannot be linked, so it is then only named in a tag."""
    if model_id:
        mlflow.set_tag("evaluated_model_id", model_id)
        try:
            MlflowClient().get_logged_model(model_id)
        except mlflow.exceptions.MlflowException:
            model_id = None
    mlflow.log_metrics(metrics, step=step, model_id=model_id)


def log_figure(figure: Any, path: str) -> None:
    mlflow.log_figure(figure, path)


def log_text(text: str, path: str) -> None:
    mlflow.log_text(text, path)


def log_table(frame: pd.DataFrame, path: str) -> None:
    mlflow.log_table(frame, artifact_file=path)


# ---------------------------------------------------------------- models


def signature(labels: list[str]) -> ModelSignature:
    """Output schema only. The input is checked by the model itself (train.labeler.texts_from):
    MLflow's column enforcement would turn a plain list of strings into a column named 0 and
    reject it, and the contract promises that a list works as well as a `text` column."""
    probs = [ColSpec("double", f"prob_{x}") for x in labels]
    return ModelSignature(inputs=None, outputs=Schema([ColSpec("string", "label"), *probs]))


def log_labeler(folder: Path, labels: list[str], requirements: list[str]) -> str:
    """Log a saved Labeler as a pyfunc model (models-from-code: no pickled Python object)."""
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(MODEL_CODE),
        artifacts={"labeler": str(folder)},
        code_paths=[str(PACKAGE_DIR)],
        signature=signature(labels),
        input_example=pd.DataFrame({"text": ["Police arrested three men on Tuesday."]}),
        pip_requirements=requirements,
    )
    return info.model_uri


def register(model_uri: str, name: str, alias: str = "champion") -> str:
    """Register the model and point the alias at the new version; returns the version."""
    version = mlflow.register_model(model_uri, name)
    MlflowClient().set_registered_model_alias(name, alias, version.version)
    return str(version.version)


def download_model(model_uri: str, dest: Path) -> Path:
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(dest)))


def load_pyfunc(model_uri: str) -> Any:
    return mlflow.pyfunc.load_model(model_uri)


def use_store(uri: str) -> None:
    mlflow.set_tracking_uri(uri)


def finished_runs(experiment: str) -> list[dict[str, Any]]:
    """Experiment (child) runs as plain dicts: name, family, metrics; newest first."""
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is None:
        return []
    runs = MlflowClient().search_runs(
        [exp.experiment_id],
        filter_string="tags.kind = 'experiment' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
    )
    return [
        {
            "run_id": r.info.run_id,
            "name": r.info.run_name,
            "family": r.data.tags.get("family", ""),
            "metrics": dict(r.data.metrics),
            "start_ms": r.info.start_time,
        }
        for r in runs
    ]
