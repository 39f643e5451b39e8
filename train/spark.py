"""Label a Parquet file of sentences with an exported model on Spark (millions of rows).

    python -m train.spark --model models/champion --in sentences.parquet --out labelled.parquet
    make score-spark IN=sentences.parquet OUT=labelled.parquet [MODEL=models/champion]

The output is a Parquet folder holding every input column plus `label` and one `prob_<label>`
column per label (each row summing to 1). Scoring goes through `mlflow.pyfunc.spark_udf`, so
Spark runs the very model `mlflow.pyfunc.load_model` returns. The CLI starts a local[2] session
unless spark-submit already chose a master; from Python, pass your own session:

    from train.spark import score_parquet
    score_parquet("models:/news-sentence-labeler@champion", "s3://b/in", "s3://b/out", spark=spark)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from train.tracking.spark_udf import ModelError, model_labels, pyfunc_udf

# PySpark 4.3 warns that it "does not yet fully support pandas >= 3.0.0"; this module's UDF
# path (Arrow batches of strings in, a struct of one string and doubles out) is tested with
# the pinned pandas 3, so the warning only alarms users. Workers get the same filter below.
PANDAS_WARNING = "PySpark does not yet fully support pandas"
warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)

from pyspark.errors import AnalysisException  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import DoubleType, StringType, StructField, StructType  # noqa: E402

PRED = "__news_kit_prediction"
# Read when each Python worker starts: the pandas note above, and MLflow's advice to add type
# hints to predict (left out on purpose, see train.tracking.signature) once per worker.
WORKER_WARNINGS = (
    f"ignore:{PANDAS_WARNING}:FutureWarning,"
    "ignore::UserWarning:mlflow.pyfunc.utils.data_validation"
)


class ScoreError(ValueError):
    """Input or output the scorer cannot use; phrased for the user."""


def local_session(master: str | None = None) -> SparkSession:
    """A Spark session on this machine (local[2] unless `master` says otherwise)."""
    builder = SparkSession.builder.appName("news-sentence-kit scoring")
    # Under spark-submit (which sets PYSPARK_GATEWAY_PORT) the master comes from its
    # --master; forcing local[2] there would silently run a cluster job on the driver.
    if master or not os.environ.get("PYSPARK_GATEWAY_PORT"):
        master = master or "local[2]"
        builder = builder.master(master)
    if master and master.startswith("local"):
        # Read when the context starts. Workers would otherwise run the first python3 on PATH,
        # which lacks mlflow and torch; the driver would bind the LAN address, not loopback.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.log.level", "WARN")
        .config("spark.executorEnv.PYTHONWARNINGS", WORKER_WARNINGS)
        .getOrCreate()
    )


def result_type(labels: list[str]) -> StructType:
    """What the UDF returns per row: `label`, then `prob_<label>` in the model's label order."""
    probs = [StructField(f"prob_{x}", DoubleType()) for x in labels]
    return StructType([StructField("label", StringType()), *probs])


def _is_local(path: str) -> bool:
    return urlparse(path).scheme in ("", "file")


def _local(path: str) -> Path:
    return Path(urlparse(path).path if path.startswith("file:") else path)


def _check_paths(src: str, dst: str) -> None:
    """Fail before a JVM starts (seconds) for the mistakes we can see from here."""
    if _is_local(src) and not _local(src).exists():
        raise ScoreError(f"{src}: no such file or folder")
    if _is_local(dst) and _local(dst).exists():
        raise ScoreError(f"{dst}: already exists; remove it or pick another --out")


def _check_input(frame: DataFrame, src: str, text_column: str, labels: list[str]) -> None:
    fields = {f.name: f.dataType for f in frame.schema.fields}
    if text_column not in fields:
        raise ScoreError(
            f"{src}: no column '{text_column}' (columns: {', '.join(fields)}); "
            "name the sentence column with --text-column"
        )
    if not isinstance(fields[text_column], StringType):
        raise ScoreError(
            f"{src}: column '{text_column}' holds {fields[text_column].simpleString()}, "
            "not strings"
        )
    clash = [name for name in result_type(labels).fieldNames() if name in fields]
    if clash:
        raise ScoreError(
            f"{src}: already has column(s) {', '.join(clash)}, which the output adds; "
            "rename or drop them first"
        )


def score_parquet(
    model_uri: str, src: str, dst: str, text_column: str = "text", spark: Any = None
) -> None:
    """Label every row of the Parquet file or folder `src` and write Parquet to `dst`.

    model_uri: an exported model folder, `models:/news-sentence-labeler@champion`, or any
        URI MLflow can download (s3://, dbfs:/, runs:/...). On a cluster, executors need to
        read it, which `spark_udf` arranges by copying it to them.
    src: Parquet readable by Spark (a file, a folder of part files, hdfs://, s3a://, ...).
    dst: output folder; must not exist yet. Row order is not kept across partitions: carry
        an id column in `src` to join results back.
    text_column: the string column holding one sentence per row.
    spark: an existing SparkSession (kept running); None starts local[2] and stops it after.

    Raises ScoreError (bad paths or columns) or ModelError (not a model of this kit).
    """
    _check_paths(src, dst)
    labels = model_labels(model_uri)
    session = spark or local_session()
    try:
        try:
            frame = session.read.parquet(src)
        except AnalysisException as exc:
            raise ScoreError(f"{src}: not readable as Parquet ({_first_line(exc)})") from exc
        _check_input(frame, src, text_column, labels)
        udf = pyfunc_udf(session, model_uri, result_type(labels))
        # A struct names the column `text`, the model's input name, whatever it is called here.
        scored = frame.withColumn(PRED, udf(F.struct(frame[text_column].alias("text"))))
        outputs = [scored[PRED][name].alias(name) for name in result_type(labels).fieldNames()]
        try:
            scored.select(*[scored[c] for c in frame.columns], *outputs).write.parquet(dst)
        except AnalysisException as exc:
            raise ScoreError(f"{dst}: cannot write ({_first_line(exc)})") from exc
    finally:
        if spark is None:
            session.stop()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/champion", help="model folder or URI")
    parser.add_argument("--in", dest="src", required=True, help="Parquet file or folder")
    parser.add_argument("--out", dest="dst", required=True, help="output folder (must not exist)")
    parser.add_argument("--text-column", default="text", help="column holding the sentences")
    parser.add_argument("--master", default=None, help="Spark master (default: local[2])")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        _check_paths(args.src, args.dst)
        labels = model_labels(args.model)
        session = local_session(args.master)
        try:
            score_parquet(args.model, args.src, args.dst, args.text_column, spark=session)
            rows = session.read.parquet(args.dst).count()  # from Parquet footers: cheap
        finally:
            session.stop()
    except (ScoreError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(f"{args.dst}: {rows} rows labelled ({', '.join(labels)}) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
