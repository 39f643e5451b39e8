"""Start the MLflow UI on the project's tracking store, sorted by the primary metric.

python -m train.ui [--host 127.0.0.1] [--port 5000]
make ui                      # HOST=0.0.0.0 only if you mean to expose it
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from train.config import load_config
from train.tracking import resolve_uri, ui_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    cfg = load_config("tfidf_logreg")
    uri = resolve_uri(cfg.tracking)
    print(f"store: {uri}")
    print(f"open:  {ui_url(f'http://{args.host}:{args.port}', cfg.tracking, cfg.primary_metric)}")
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    command = [mlflow_bin, "ui", "--backend-store-uri", uri]
    command += ["--host", args.host, "--port", str(args.port)]
    sys.stdout.flush()
    os.execv(mlflow_bin, command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
