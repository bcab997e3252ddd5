"""The Glue job (Glue 5.0, Spark 3.5): the process SQL over ``transformed/`` for the given flight dates.

Arguments (Glue passes ``--name value``): ``--data_url`` (s3://bucket/prefix), ``--flight_dates``
(comma-separated), ``--database`` and ``--table`` (the Glue catalog table of the processed layer), and
optionally ``--output_url`` (default: data_url) and ``--airports`` (the configured airports: the only ones with a
``RowsProcessed`` series of their own). Steps:

1. read the transformed files of every collection date that can hold the flight dates (the same window as
   the DuckDB step), with the transformed schema, keeping only rows of those flight dates;
2. run ``process.sql``, transpiled from DuckDB to Spark SQL by sqlglot at build time (``process_spark.sql``
   beside this module, package data of the wheel): the one definition of dedup, and no sqlglot or PyPI at run
   time (the wheel is installed with ``--no-deps``; Glue 5.0 ships pyarrow);
3. write ``processed/all_data/flight-date=D/`` with dynamic partition overwrite (only the dates given are
   replaced, one file each);
4. register the partitions in the Glue Data Catalog, at most 100 per call; nothing waits on a crawler;
5. put ``RowsProcessed`` per departure airport into flightpipe's CloudWatch namespace (the dashboard's
   per-airport graph), with the ``service`` dimension the Lambda functions' metrics carry.

Spark and boto3 are imported inside the functions that need them: the module also serves the tests and the
stack (argument names), which have no Spark.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Any

import pyarrow as pa

from flightpipe.aws.glue_catalog import deregister_partitions, register_partitions
from flightpipe.aws.names import DIM_AIRPORT, DIM_SERVICE, METRICS_NAMESPACE, ROWS_PROCESSED, SERVICE
from flightpipe.core.errors import ConfigError
from flightpipe.core.layout import PROCESSED, TRANSFORMED, collection_dates_for, processed_partition
from flightpipe.core.schema import PROCESSED_SCHEMA, TRANSFORMED_SCHEMA

#: Spark SQL text of the process step, from the one DuckDB definition (flightpipe_infra.spark_sql writes it).
SPARK_PROCESS_SQL = resources.files("flightpipe.aws").joinpath("process_spark.sql").read_text(encoding="utf-8")
PARTITION_COLUMN = "flight-date"
#: PutMetricData's limit of metrics per call (older accounts: 20; it is 1000 now).
METRICS_PER_CALL = 20

#: Session settings the job needs on any Spark: UTC everywhere, Parquet timestamps as microseconds (not INT96),
#: replace only the partitions written, no _SUCCESS marker files.
SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}


def parse_args(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs (Glue also passes its own, e.g. --JOB_ID; those are kept and ignored)."""
    args: dict[str, str] = {}
    items = list(argv)
    for index, item in enumerate(items):
        if item.startswith("--") and index + 1 < len(items) and not items[index + 1].startswith("--"):
            args[item[2:]] = items[index + 1]
    for name in ("data_url", "flight_dates"):
        if not args.get(name):
            raise ConfigError(f"the Glue job needs --{name}; got {sorted(args)}")
    return args


def parse_dates(text: str) -> list[dt.date]:
    try:
        return sorted({dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ConfigError(f"--flight_dates must be comma-separated dates YYYY-MM-DD, got {text!r}") from None


def spark_type(arrow_type: pa.DataType) -> Any:
    from pyspark.sql import types as T

    if pa.types.is_string(arrow_type):
        return T.StringType()
    if pa.types.is_date32(arrow_type):
        return T.DateType()
    if pa.types.is_timestamp(arrow_type):
        return T.TimestampType()
    if pa.types.is_boolean(arrow_type):
        return T.BooleanType()
    if pa.types.is_int64(arrow_type):
        return T.LongType()
    if pa.types.is_integer(arrow_type):
        return T.IntegerType()
    if pa.types.is_floating(arrow_type):
        return T.DoubleType()
    if pa.types.is_list(arrow_type):
        return T.ArrayType(spark_type(arrow_type.value_type))
    raise TypeError(f"no Spark type for Arrow {arrow_type}")


def spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, spark_type(f.type), f.nullable) for f in schema])


def transformed_paths(spark: Any, data_url: str, flight_dates: list[dt.date]) -> list[str]:
    """Existing transformed files of every airport on the collection dates that can hold ``flight_dates``."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    paths: list[str] = []
    for day in collection_dates_for(flight_dates):
        pattern = jvm.org.apache.hadoop.fs.Path(
            f"{data_url.rstrip('/')}/{TRANSFORMED}/*/{day.isoformat()}/[!_.]*.parquet"
        )
        found = pattern.getFileSystem(conf).globStatus(pattern)
        paths.extend(str(status.getPath().toString()) for status in (found or []))
    return sorted(paths)


def process(spark: Any, data_url: str, flight_dates: list[dt.date], output_url: str | None = None) -> list[dt.date]:
    """Rebuild the processed partitions of ``flight_dates``; returns the dates written."""
    return process_counted(spark, data_url, flight_dates, output_url)[0]


def process_counted(
    spark: Any, data_url: str, flight_dates: list[dt.date], output_url: str | None = None
) -> tuple[list[dt.date], dict[str, int]]:
    """``process``, also returning the rows written per departure airport."""
    from pyspark.sql import functions as F

    for key, value in SPARK_CONF.items():
        spark.conf.set(key, value)
    paths = transformed_paths(spark, data_url, flight_dates)
    wanted = [F.lit(d) for d in flight_dates]
    if paths:
        rows = spark.read.schema(spark_schema(TRANSFORMED_SCHEMA)).parquet(*paths)
    else:
        rows = spark.createDataFrame([], spark_schema(TRANSFORMED_SCHEMA))
    rows.where(F.col("flight_date").isin(*wanted)).createOrReplaceTempView("transformed_rows")
    flights = spark.sql(SPARK_PROCESS_SQL)
    target = spark_schema(PROCESSED_SCHEMA)
    typed = flights.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in target.fields])
    # Cached: written, then counted per airport, without running the SQL twice.
    out = typed.withColumn(PARTITION_COLUMN, F.date_format("flight_date", "yyyy-MM-dd")).cache()
    # One file per partition, as the DuckDB step writes; a day of five airports is a few thousand rows.
    (
        out.repartition(PARTITION_COLUMN)
        .sortWithinPartitions("dep_airport_icao", "flight_iata", "flight_icao")
        .write.mode("overwrite")
        .partitionBy(PARTITION_COLUMN)
        .option("compression", "snappy")
        .parquet(f"{(output_url or data_url).rstrip('/')}/{PROCESSED}")
    )
    written = sorted(r[0] for r in out.select("flight_date").distinct().collect())
    # Dynamic overwrite only replaces the dates it writes: a date whose rows all went away must not keep its
    # old partition (the DuckDB step writes an empty file there; here the partition is removed).
    for day in sorted(set(flight_dates) - set(written)):
        _delete(spark, f"{(output_url or data_url).rstrip('/')}/{processed_partition(day)}")
    counts = {str(r[0]): int(r[1]) for r in out.groupBy("dep_airport_icao").count().collect() if r[0] is not None}
    out.unpersist()
    return written, counts


def put_rows_processed(cloudwatch: Any, rows_by_airport: dict[str, int], airports: Sequence[str] | None = None) -> None:
    """``RowsProcessed`` per departure airport, with the dimensions powertools gives the functions' metrics
    (airport and service), so one dashboard SEARCH schema fits them all. Only the configured ``airports`` (the
    job's ``--airports``) when given: every other origin would be a custom metric series billed monthly."""
    data = [
        {
            "MetricName": ROWS_PROCESSED,
            "Dimensions": [{"Name": DIM_AIRPORT, "Value": airport}, {"Name": DIM_SERVICE, "Value": SERVICE}],
            "Value": float(rows),
            "Unit": "Count",
        }
        for airport, rows in sorted(rows_by_airport.items())
        if airports is None or airport in airports
    ]
    for start in range(0, len(data), METRICS_PER_CALL):
        cloudwatch.put_metric_data(Namespace=METRICS_NAMESPACE, MetricData=data[start : start + METRICS_PER_CALL])


def _delete(spark: Any, url: str) -> None:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)


def main(argv: Sequence[str]) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    flight_dates = parse_dates(args["flight_dates"])
    spark = SparkSession.builder.appName("flightpipe-process").getOrCreate()
    written, counts = process_counted(spark, args["data_url"], flight_dates, args.get("output_url"))
    if args.get("database") and args.get("table"):
        register_partitions(
            boto3.client("glue"),
            database=args["database"],
            table=args["table"],
            data_url=args.get("output_url") or args["data_url"],
            flight_dates=written,
            schema=PROCESSED_SCHEMA,
        )
        # process_counted removed the folders of the dates it was given but wrote no rows for.
        deregister_partitions(
            boto3.client("glue"),
            database=args["database"],
            table=args["table"],
            flight_dates=sorted(set(flight_dates) - set(written)),
        )
    try:
        airports = [a.strip() for a in args["airports"].split(",")] if args.get("airports") else None
        put_rows_processed(boto3.client("cloudwatch"), counts, airports)
    except (BotoCoreError, ClientError) as error:  # the rows are written and registered: a lost metric is no failure
        print(f"flightpipe: RowsProcessed not put: {error}")
    print(f"flightpipe: processed {len(written)} flight dates: {', '.join(d.isoformat() for d in written)}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
