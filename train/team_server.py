"""Start the team's MLflow tracking server: runs and registry in PostgreSQL, artifacts in a folder.

    python -m train.team_server --backend-store-uri postgresql://mlflow@db.lan:5432/mlflow \
        --artifacts-destination /srv/mlflow/artifacts [--host 127.0.0.1] [--port 5000]
    make team-server DB=postgresql://mlflow@localhost:5432/mlflow ARTIFACTS=/srv/mlflow/artifacts

This is `mlflow server`, checked first: the store must be PostgreSQL and reachable, so a typo
fails in seconds with a message rather than as a stack trace from a worker. The password is
best kept out of the URI (libpq reads ~/.pgpass and PGPASSWORD); when it is in the URI, it is
handed to mlflow through MLFLOW_BACKEND_STORE_URI, never on a command line that `ps` shows.
Binds 127.0.0.1 by default; use --host 0.0.0.0 (plus --allowed-hosts) to serve a team.
Clients: MLFLOW_TRACKING_URI=http://<host>:<port> make train
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
from pathlib import Path

SCHEMES = ("postgresql", "postgresql+psycopg2")


class ServerError(ValueError):
    """A setup problem, phrased for the user."""


def redact(uri: str) -> str:
    """The URI with its password replaced, safe to print."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def check_backend(uri: str) -> None:
    """PostgreSQL only, and reachable now (5 s), or a ServerError naming what is wrong."""
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme not in SCHEMES:
        raise ServerError(
            f"backend store '{redact(uri)}' is not PostgreSQL: expected "
            f"postgresql://user@host:5432/dbname (the local ./mlruns store needs no server: "
            f"`make ui`)"
        )
    import psycopg2  # the driver mlflow's SQLAlchemy store uses for postgresql://

    dsn = uri.replace("postgresql+psycopg2://", "postgresql://", 1)
    try:
        psycopg2.connect(dsn, connect_timeout=5).close()
    except psycopg2.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServerError(f"cannot connect to {redact(uri)}: {reason}") from exc


def sqlalchemy_uri(uri: str) -> str:
    """Name the driver: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which is not
    installed; the pinned driver is psycopg2."""
    if uri.startswith("postgresql://"):
        return "postgresql+psycopg2://" + uri.removeprefix("postgresql://")
    return uri


def artifacts_dir(value: str) -> str:
    """A local folder is made absolute and created; a URI (s3://, gs://...) is kept."""
    if "://" in value:
        return value
    path = Path(value).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def command(args: argparse.Namespace, artifacts: str) -> list[str]:
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    cmd = [mlflow_bin, "server", "--artifacts-destination", artifacts]
    cmd += ["--host", args.host, "--port", str(args.port), "--workers", str(args.workers)]
    if args.allowed_hosts:
        cmd += ["--allowed-hosts", args.allowed_hosts]
    return cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend-store-uri",
        default=os.environ.get("MLFLOW_BACKEND_STORE_URI", ""),
        help="postgresql://user@host:port/db (default: $MLFLOW_BACKEND_STORE_URI)",
    )
    parser.add_argument(
        "--artifacts-destination",
        default=os.environ.get("MLFLOW_ARTIFACTS_DESTINATION", ""),
        help="folder or s3:// / gs:// URI for models and files (default: "
        "$MLFLOW_ARTIFACTS_DESTINATION)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--allowed-hosts", default="", help="Host headers to accept, e.g. a DNS name"
    )
    args = parser.parse_args(argv)

    if not args.backend_store_uri:
        parser.error("--backend-store-uri (or MLFLOW_BACKEND_STORE_URI) is required")
    if not args.artifacts_destination:
        parser.error("--artifacts-destination (or MLFLOW_ARTIFACTS_DESTINATION) is required")
    try:
        check_backend(args.backend_store_uri)
        artifacts = artifacts_dir(args.artifacts_destination)
    except (ServerError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    cmd = command(args, artifacts)
    env = {**os.environ, "MLFLOW_BACKEND_STORE_URI": sqlalchemy_uri(args.backend_store_uri)}
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    print(f"store:     {redact(args.backend_store_uri)}")
    print(f"artifacts: {artifacts}")
    print(f"serving:   http://{args.host}:{args.port}  (clients: MLFLOW_TRACKING_URI=<that URL>)")
    sys.stdout.flush()
    # exec, not a child: signals (Ctrl-C, systemd's stop) reach mlflow directly.
    os.execve(cmd[0], cmd, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
