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

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from train.tracking.spark_udf import ModelError, model_labels, pyfunc_udf

# PySpark 4.3 warns that it "does not yet fully support pandas >= 3.0.0"; this module's UDF
# path (Arrow batches of strings in, a struct of one string and doubles out) is tested with
# the pinned pandas 3, so the warning only alarms users. Only the driver emits it.
PANDAS_WARNING = "PySpark does not yet fully support pandas"
warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)

PRED = "__news_kit_prediction"  # the struct column, unpacked into label + prob_* before writing


class ScoreError(ValueError):
    """Input or output the scorer cannot use; phrased for the user."""


def _master(master: str | None) -> str | None:
    """The master local_session sets: `master`, else local[2]; None under spark-submit (which
    sets PYSPARK_GATEWAY_PORT), whose --master must win over a silent local[2]."""
    if master or not os.environ.get("PYSPARK_GATEWAY_PORT"):
        return master or "local[2]"
    return None


def local_session(master: str | None = None) -> SparkSession:
    """A Spark session on this machine (local[2] unless `master` or spark-submit says else)."""
    builder = SparkSession.builder.appName("news-sentence-kit scoring")
    master = _master(master)
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        # Read when the context starts. Workers would otherwise run the first python3 on PATH,
        # which lacks mlflow and torch; the driver would bind the LAN address, not loopback.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.log.level", "WARN")
    )
    try:
        return builder.getOrCreate()
    except PySparkException as exc:
        if exc.getCondition() != "JAVA_GATEWAY_EXITED":
            raise
        raise ScoreError(
            "Spark could not start its JVM: it needs Java 17 or 21 (`java -version`; "
            "on Debian: apt-get install openjdk-17-jre-headless) or JAVA_HOME pointing at one"
        ) from exc


def result_type(labels: list[str]) -> StructType:
    """What the UDF returns per row: `label`, then `prob_<label>` in the model's label order."""
    probs = [StructField(f"prob_{x}", DoubleType()) for x in labels]
    return StructType([StructField("label", StringType()), *probs])


def _runs_locally(session: Any, master: str | None = None) -> bool:
    """Whether `session` (or, when None, the one local_session(master) starts) is local."""
    if session is None:
        return (_master(master) or "").startswith("local")
    try:
        return str(session.conf.get("spark.master", "")).startswith("local")
    except PySparkException:
        return False


def _local_path(path: str, local_master: bool) -> Path | None:
    """The path on this machine's disk, or None where Spark resolves it elsewhere: a bare
    path on a cluster means its default file system (usually HDFS), not this disk."""
    parts = urlparse(path)
    if parts.scheme == "file":
        return Path(parts.path)
    return Path(path) if parts.scheme == "" and local_master else None


def _check_paths(src: str, dst: str, local_master: bool) -> None:
    """Fail before any Spark work for the mistakes visible from here; Spark reports the rest."""
    source, target = _local_path(src, local_master), _local_path(dst, local_master)
    if source is not None and not source.exists():
        raise ScoreError(f"{src}: no such file or folder")
    if target is not None and target.exists():
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
            f"{src}: column '{text_column}' holds {fields[text_column].simpleString()}, not strings"
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

    model_uri: an exported model folder on the driver's disk,
        `models:/news-sentence-labeler@champion` (resolved through MLFLOW_TRACKING_URI, else
        the project's store) or any URI MLflow can download (s3://, runs:/...). The driver
        fetches it once and `spark_udf` ships that copy to the executors.
    src: Parquet readable by Spark (a file, a folder of part files, hdfs://, s3a://, ...).
    dst: output folder; must not exist yet. Row order is not kept across partitions: carry
        an id column in `src` to join results back.
    text_column: the string column holding one sentence per row.
    spark: an existing SparkSession (left running); None starts local[2] (spark-submit's
        master when run under it) and stops it afterwards.

    Raises ScoreError (bad paths or columns) or ModelError (not a model of this kit).
    """
    _check_paths(src, dst, _runs_locally(spark))
    labels = model_labels(model_uri)
    session = spark if spark is not None else local_session()
    try:
        try:
            frame = session.read.parquet(src)
        except (AnalysisException, Py4JJavaError) as exc:  # the latter: a corrupt footer
            raise ScoreError(f"{src}: not readable as Parquet ({spark_message(exc)})") from exc
        _check_input(frame, src, text_column, labels)
        frame = _spread(frame, session)
        udf = pyfunc_udf(session, model_uri, result_type(labels))
        # A struct names the column `text`, the model's input name, whatever it is called here.
        scored = frame.withColumn(PRED, udf(F.struct(frame[text_column].alias("text"))))
        outputs = [scored[PRED][name].alias(name) for name in result_type(labels).fieldNames()]
        try:
            scored.select(*[scored[c] for c in frame.columns], *outputs).write.parquet(dst)
        except AnalysisException as exc:
            raise ScoreError(f"{dst}: cannot write ({spark_message(exc)})") from exc
    finally:
        if spark is None:
            session.stop()


def _spread(frame: DataFrame, session: SparkSession) -> DataFrame:
    """Give every core a partition. Sentences are short, so even a file of millions of rows
    is often read as one partition, which would score on one core (Spark gives each Python
    worker one thread); the round-robin shuffle costs far less than the model does."""
    try:
        cores = session.sparkContext.defaultParallelism
        parts = frame.rdd.getNumPartitions()
    except (AttributeError, PySparkException):  # Spark Connect: its server plans partitions
        return frame
    return frame.repartition(cores) if parts < cores else frame


def spark_message(exc: Exception) -> str:
    """The first line of what Spark said, without py4j's "An error occurred while calling"."""
    text = str(exc)
    if isinstance(exc, Py4JJavaError):
        text = str(exc.java_exception.getMessage() or exc.java_exception.toString())
    return (text.strip().splitlines() or [type(exc).__name__])[0]


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
        _check_paths(args.src, args.dst, _runs_locally(None, args.master))
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
    except (PySparkException, Py4JJavaError) as exc:  # Spark has already logged the details
        print(f"error: the Spark job failed: {spark_message(exc)}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    print(f"{args.dst}: {rows} rows labelled ({', '.join(labels)}) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
