"""The MLflow half of Spark scoring (train.spark holds the Spark half).

It lives here because train/tracking/ is the only package that imports mlflow. Two calls:
`model_labels` reads the labels from the model's output signature (only the MLmodel file is
fetched), and `pyfunc_udf` wraps the model in
`mlflow.pyfunc.spark_udf` running in the current Python environment.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import mlflow
from mlflow.models import Model

# Importing this module runs train/tracking/__init__.py first, which sets MLflow's environment
# defaults (no telemetry, offline hub) before mlflow is imported above.
from train.config import TrackingConfig
from train.tracking import resolve_uri

# Forwarded to every Python worker: executors on a cluster do not inherit the driver's env.
WORKER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # weight-loading bars, per worker, in executor logs
}


class _LocalEnvNotice(logging.Filter):
    """Drops MLflow's advice to use env_manager="conda": the local environment is the point
    here (the project's pinned venv, or the cluster image built from it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return 'env_manager="local"' not in record.getMessage()


class ModelError(ValueError):
    """The model URI does not point at a model exported by this kit; phrased for the user."""


def _use_registry(model_uri: str) -> None:
    # models:/ and runs:/ resolve through the store `make train` wrote to, unless the caller
    # (MLFLOW_TRACKING_URI or mlflow.set_tracking_uri in a notebook) named one; plain paths
    # and storage URIs need no store at all.
    if model_uri.startswith(("models:/", "runs:/")) and not mlflow.is_tracking_uri_set():
        mlflow.set_tracking_uri(resolve_uri(TrackingConfig()))


def model_labels(model_uri: str) -> list[str]:
    """The model's labels in its own order, from the `prob_<label>` outputs of its signature."""
    _use_registry(model_uri)
    try:
        model = Model.load(model_uri)
    except Exception as exc:  # MlflowException, OSError, a cloud SDK's own errors
        raise ModelError(f"{model_uri}: cannot read the model's MLmodel file ({exc})") from exc
    schema = model.signature.outputs if model.signature else None
    names = schema.input_names() if schema else []
    labels = [str(n).removeprefix("prob_") for n in names if str(n).startswith("prob_")]
    if "label" not in names or not labels:
        raise ModelError(
            f"{model_uri}: the output signature has no 'label' and 'prob_<label>' columns "
            f"(got: {', '.join(map(str, names)) or 'none'}); export the model with `make train`"
        )
    return labels


def pyfunc_udf(spark: Any, model_uri: str, result_type: Any) -> Any:
    """`mlflow.pyfunc.spark_udf` over the model, in this Python environment (no virtualenv
    rebuilt per executor), returning `result_type` (a struct of label + prob columns)."""
    _use_registry(model_uri)
    extra_env = {key: os.environ.get(key, value) for key, value in WORKER_ENV.items()}
    logger, notice = logging.getLogger("mlflow.pyfunc"), _LocalEnvNotice()
    logger.addFilter(notice)
    try:
        return mlflow.pyfunc.spark_udf(
            spark, model_uri, result_type=result_type, env_manager="local", extra_env=extra_env
        )
    finally:
        logger.removeFilter(notice)
