"""A local Apache Spark session for building the dbt project on Spark.

dbt-spark's ``method: session`` adapter runs every statement through
``SparkSession.builder.enableHiveSupport().getOrCreate()`` in the *same* Python process, so
when the ``cpc`` CLI creates the session first (with :func:`spark_session`) and then invokes
``dbt.cli.main.dbtRunner``, dbt reuses this session and its settings.

Everything Spark keeps lives under one *warehouse directory*:

* ``<warehouse>/<schema>.db/<table>/`` -- managed tables (``spark.sql.warehouse.dir``),
* ``<warehouse>/metastore_db/`` and ``<warehouse>/derby.log`` -- the embedded Derby (Hive)
  metastore, so a later process pointed at the same directory sees the same tables,
* ``<warehouse>/.spark/log4j2.properties`` -- the quiet logging configuration.

pyspark is imported lazily: importing this module works without the ``spark`` extra.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from cpc.errors import UserError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Spark application name.
APP_NAME = "cpc"
#: Local master: two worker threads (the reference machine has 2 cores).
MASTER = "local[2]"
#: Environment variable naming the master instead (``spark://HOST:PORT`` of a standalone cluster).
MASTER_ENV = "CPC_SPARK_MASTER"
_MASTER_RE = re.compile(r"^(local(\[(\d+|\*)\])?|spark://(?P<host>[^:/,]+):(?P<port>\d+))$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Driver heap for a 2-core / 24 GB machine; in local mode the driver does all the work.
DEFAULT_DRIVER_MEMORY = "6g"
#: Environment variable overriding :data:`DEFAULT_DRIVER_MEMORY` (e.g. ``"10g"``).
DRIVER_MEMORY_ENV = "CPC_SPARK_DRIVER_MEMORY"
#: Shuffle partitions: the data is small and there are two cores.
SHUFFLE_PARTITIONS = 4
#: JVM options of the driver and of every executor. A build runs hundreds of short statements,
#: each with classes Spark generates for it: with the JVM's defaults, its optimizing compiler
#: spends about a third of the CPU compiling code that has already run its course, and the
#: concurrent collector's threads take more. Promoting code to that compiler ten times later than
#: the default, and the throughput collector, cut a 25 x 8 build from 326 to 245 CPU-seconds and
#: from 188 to 166 s (local[2], 2 cores; README, "Running on Spark").
JVM_OPTIONS = (
    "-XX:+UseParallelGC",
    "-XX:Tier4InvocationThreshold=50000",
    "-XX:Tier4MinInvocationThreshold=20000",
    "-XX:Tier4CompileThreshold=60000",
    "-XX:Tier4BackEdgeThreshold=400000",
    "-XX:ReservedCodeCacheSize=512m",
)
#: Oldest Java that Spark 4 runs on.
MIN_JAVA = 17
#: Seconds to wait for another process's JVM to release the warehouse's metastore.
METASTORE_WAIT = 15.0
#: Seconds :func:`stop` waits for the JVM to exit before killing it.
JVM_EXIT_TIMEOUT = 60.0

#: What Spark says when the Hive metastore (Derby) cannot be opened.
_HMS_FAILED = "Unable to instantiate org.apache.hadoop.hive.ql.metadata.SessionHiveMetaStoreClient"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: log4j2 configuration: WARN by default, known-harmless warnings silenced, all on stderr.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
logger.hiveconf.name = org.apache.hadoop.hive.conf.HiveConf
logger.hiveconf.level = error
logger.sessionstate.name = org.apache.hadoop.hive.ql.session.SessionState
logger.sessionstate.level = error
logger.hms.name = org.apache.hadoop.hive.metastore
logger.hms.level = error
logger.hmshandler.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler
logger.hmshandler.level = fatal
logger.objectstore.name = org.apache.hadoop.hive.metastore.ObjectStore
logger.objectstore.level = error
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = fatal
logger.hiveclient.name = org.apache.spark.sql.hive.client.HiveClientImpl
logger.hiveclient.level = error
logger.hiveexternal.name = org.apache.spark.sql.hive.HiveExternalCatalog
logger.hiveexternal.level = error
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = error
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
# A failing query (e.g. an ANSI cast error) is raised to the caller with its message; these
# would repeat it with full Java stack traces on stderr.
logger.sparkutils.name = org.apache.spark.util.Utils
logger.sparkutils.level = fatal
logger.fileformatwriter.name = org.apache.spark.sql.execution.datasources.FileFormatWriter
logger.fileformatwriter.level = fatal
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = fatal
logger.tasksetmanager.name = org.apache.spark.scheduler.TaskSetManager
logger.tasksetmanager.level = fatal
logger.windowexec.name = org.apache.spark.sql.execution.window.WindowExec
logger.windowexec.level = error
"""


def _driver_memory() -> str:
    """The driver heap size: ``$CPC_SPARK_DRIVER_MEMORY`` or :data:`DEFAULT_DRIVER_MEMORY`."""
    value = os.environ.get(DRIVER_MEMORY_ENV, DEFAULT_DRIVER_MEMORY).strip()
    if not re.fullmatch(r"\d+[kKmMgGtT]?", value):
        raise UserError(f"{DRIVER_MEMORY_ENV}={value!r} is not a memory size such as 6g or 4096m")
    return value


def _java_binary() -> str:
    """The ``java`` executable Spark will start (``$JAVA_HOME/bin/java`` first, then PATH)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if not candidate.is_file():
            raise UserError(f"JAVA_HOME={java_home} has no bin/java: install Java {MIN_JAVA}+")
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise UserError(f"Java not found: Spark needs Java {MIN_JAVA}+ on PATH or in JAVA_HOME")
    return found


def _java_problem(java: str) -> str | None:
    """Explain why ``java`` cannot run Spark (too old, broken), or ``None`` if it looks fine."""
    try:
        result = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run {java}: {exc}"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        return f"cannot tell the version of {java}"
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        return f"{java} is Java {major}; Spark 4 needs Java {MIN_JAVA}+"
    return None


def _quiet_python_side() -> None:
    """Silence Python-side noise from pyspark/py4j.

    pyspark logs every failed SQL statement as a JSON record with the full Java stack trace
    (loggers ``SQLQueryContextLogger`` / ``DataFrameQueryContextLogger``) *and* raises; the
    exception alone reaches the caller (dbt prints its message), so the records are dropped.
    """
    from pyspark.logger import PySparkLogger

    logging.getLogger("py4j").setLevel(logging.WARNING)
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings(
        "ignore", message=r"PySpark does not yet fully support pandas", category=FutureWarning
    )


def _derby_url(warehouse_dir: Path) -> str:
    """JDBC URL of the embedded Derby metastore kept inside ``warehouse_dir``."""
    return f"jdbc:derby:;databaseName={warehouse_dir / 'metastore_db'};create=true"


def _same_dir(configured: str | None, warehouse_dir: Path) -> bool:
    """Whether a ``spark.sql.warehouse.dir`` value names ``warehouse_dir``."""
    if not configured:
        return False
    return Path(configured.removeprefix("file:")).resolve() == warehouse_dir


def _runtime_conf() -> dict[str, str]:
    """SQL settings that can be (re)applied to a running session."""
    return {
        "spark.sql.session.timeZone": "UTC",
        # dbt-spark 1.11 forces ANSI off for every statement it runs (SparkCredentials always
        # adds spark.sql.ansi.enabled=false to the parameters it passes to getOrCreate(), which
        # sets them on this shared session). Match it from the start so SQL behaves the same
        # before, during and after a dbt invocation; project SQL uses try_* functions and is
        # correct in either mode.
        "spark.sql.ansi.enabled": "false",
        # Keep decimal(38,10) money at scale 10 through + - * (Spark's default drops a+b to
        # scale 9 and a*b to 6). Same as the profile's server_side_parameters, which dbt applies
        # to this session per statement; set here too so queries outside dbt agree.
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
    }


def _java_option_value(value: str) -> str:
    """Quote a value for ``spark.driver.extraJavaOptions`` (split like a shell command line)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def master_url(master: str | None = None) -> str:
    """The master to run on: ``master``, else ``$CPC_SPARK_MASTER``, else :data:`MASTER`.

    Raises UserError for anything but ``local``, ``local[N]``, ``local[*]`` or
    ``spark://HOST:PORT``, and for a standalone master that does not accept a connection."""
    url = (master or os.environ.get(MASTER_ENV) or MASTER).strip()
    found = _MASTER_RE.match(url)
    if found is None:
        raise UserError(f"Spark master {url!r}: expected spark://HOST:PORT (a standalone cluster) or local[N]")
    if found["host"]:
        try:
            with socket.create_connection((found["host"], int(found["port"])), timeout=5):
                pass
        except OSError as exc:
            raise UserError(f"cannot reach the Spark master at {url}: {exc.strerror or exc}") from exc
    return url


def _is_loopback(master: str) -> bool:
    """Whether the master runs on this machine only (local mode, or a cluster on loopback)."""
    found = _MASTER_RE.match(master)
    return found is not None and (found["host"] is None or found["host"] in _LOOPBACK)


def _static_conf(warehouse_dir: Path, log_config: Path, master: str = MASTER) -> dict[str, str]:
    """Settings fixed when the SparkContext (and, for the first ones, the JVM) starts."""
    # Every JVM of the build, the driver and each executor: UTC, and the tuning above.
    every_jvm = ["-Duser.timezone=UTC", *JVM_OPTIONS]
    java_options = " ".join(
        [
            f"-Dlog4j2.configurationFile={_java_option_value(log_config.as_uri())}",
            f"-Dderby.system.home={_java_option_value(str(warehouse_dir))}",
            *every_jvm,
        ]
    )
    # On this machine only, the driver binds to loopback; executors on other hosts must reach it
    # at the address Spark finds (or SPARK_LOCAL_IP / spark.driver.host in spark-defaults.conf).
    driver = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"} if _is_loopback(master) else {}
    return {
        # JVM launch options: honoured only when this process has no JVM yet.
        "spark.driver.memory": _driver_memory(),
        "spark.driver.extraJavaOptions": java_options,
        # Context options.
        **driver,
        # Executors on a cluster.
        "spark.executor.extraJavaOptions": " ".join(every_jvm),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.default.parallelism": str(SHUFFLE_PARTITIONS),
        "spark.sql.warehouse.dir": str(warehouse_dir),
        "spark.hadoop.hive.metastore.warehouse.dir": str(warehouse_dir),
        "spark.hadoop.javax.jdo.option.ConnectionURL": _derby_url(warehouse_dir),
    }


def _metastore_in_use(warehouse_dir: Path) -> bool:
    """Whether another process has the warehouse's Derby metastore open.

    Embedded Derby allows one JVM per database and holds a POSIX lock on
    ``metastore_db/dbex.lck`` while it is booted. Only meaningful while this process has no
    JVM of its own (which could be the holder); returns False where locks cannot be probed.
    """
    lock_file = warehouse_dir / "metastore_db" / "dbex.lck"
    try:
        import fcntl
    except ImportError:  # not POSIX
        return False
    if not lock_file.is_file():
        return False
    try:
        with lock_file.open("ab") as handle:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _in_use_error(warehouse_dir: Path) -> UserError:
    """The one-line error for a warehouse whose metastore another process has open."""
    return UserError(
        f"the Spark warehouse {warehouse_dir} is in use by another process "
        "(its Derby metastore allows one at a time)"
    )


def _running_session() -> SparkSession | None:
    """The process's current classic SparkSession, if any (from any thread)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:  # getActiveSession is per thread; fall back to the default session
        active = getattr(SparkSession, "_instantiatedSession", None)
    return active


def spark_session(warehouse_dir: Path, master: str | None = None) -> SparkSession:
    """Start (or reuse) the Spark session whose warehouse and metastore are ``warehouse_dir``.

    ``master``: see :func:`master_url` (default ``local[2]``). On a standalone cluster the
    executors write the tables into ``warehouse_dir`` themselves: with workers on other hosts it
    must be a folder they all see at the same path (a shared file system).

    Settings: ``local[2]``, app name ``cpc``, no web UI or progress bar, session time zone UTC,
    4 shuffle partitions, adaptive query execution on, ANSI mode *off* (dbt-spark forces it off
    anyway), decimal precision loss off (as in ``profiles.yml``), Hive support with an embedded
    Derby metastore in ``warehouse_dir/metastore_db``, driver bound to 127.0.0.1, log level WARN
    (log4j config in ``warehouse_dir/.spark``).

    The driver heap (``$CPC_SPARK_DRIVER_MEMORY``, default 6g) and the JVM options take effect
    only when this call starts the JVM: the first session of the process, or the first after
    :func:`stop`. A running session for the same warehouse is reused (its SQL settings are
    re-applied); one for another warehouse is stopped first. If another process has the
    warehouse open, this waits up to :data:`METASTORE_WAIT` seconds for it to let go.

    Raises:
        UserError: pyspark not installed, Java missing or too old, the driver cannot bind to a
            local port, or the warehouse is in use by another process.
    """
    warehouse_dir = Path(warehouse_dir).expanduser().resolve()
    master = master_url(master)
    try:
        warehouse_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create Spark warehouse {warehouse_dir}: {exc.strerror}") from exc
    java = _java_binary()
    if _is_loopback(master):
        # Loopback only: the driver must not look up or bind to another interface.
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # Python workers (UDFs) run this interpreter, not whichever python3 comes first on PATH:
    # pyspark refuses a worker whose minor version differs from the driver's.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # dbt-spark calls SparkSession.builder.getOrCreate(): keep it on classic (py4j) Spark.
    os.environ["SPARK_CONNECT_MODE"] = "0"
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UserError(
            "Spark support is not installed: pip install 'cost-per-customer[spark]'"
        ) from exc
    _quiet_python_side()

    running = _running_session()
    if running is not None:
        if _same_dir(running.conf.get("spark.sql.warehouse.dir", None), warehouse_dir) and (
            running.sparkContext.master == master
        ):
            for key, value in _runtime_conf().items():
                running.conf.set(key, value)
            running.sparkContext.setLogLevel("WARN")
            return running
        stop(running)

    from pyspark import SparkContext

    if SparkContext._gateway is None:
        # A process that just ended may still be shutting its JVM down (about 1-2 s).
        deadline = time.monotonic() + METASTORE_WAIT
        while _metastore_in_use(warehouse_dir):
            if time.monotonic() > deadline:
                raise _in_use_error(warehouse_dir)
            time.sleep(0.25)

    log_config = warehouse_dir / ".spark" / "log4j2.properties"
    log_config.parent.mkdir(exist_ok=True)
    log_config.write_text(_LOG4J2, encoding="utf-8")
    builder = SparkSession.builder.master(master).appName(APP_NAME)
    for key, value in {**_static_conf(warehouse_dir, log_config, master), **_runtime_conf()}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.enableHiveSupport().getOrCreate()
    except PySparkException as exc:
        if exc.getCondition() == "JAVA_GATEWAY_EXITED":
            problem = _java_problem(java) or "see the Java output above"
            raise UserError(f"could not start Spark's Java process: {problem}") from exc
        raise
    except Py4JError as exc:
        text = str(exc)
        if any(sign in text for sign in ("BindException", "could not bind", "Cannot assign")):
            raise UserError(
                "Spark could not bind a local port on 127.0.0.1 "
                "(is the loopback interface up and are ports free?)"
            ) from exc
        raise
    spark.sparkContext.setLogLevel("WARN")
    # In a JVM started earlier (an earlier, stopped session) the -D options above were not
    # applied; the metastore opens lazily, so setting the property now still takes effect.
    jvm = spark.sparkContext._jvm
    if jvm is not None:
        jvm.java.lang.System.setProperty("derby.system.home", str(warehouse_dir))
    # Open the metastore now, so a locked or broken one fails here, as a one-line error.
    try:
        spark.catalog.databaseExists("default")
    except Exception as exc:
        text = str(exc)
        if any(sign in text for sign in ("XSDB6", "Another instance of Derby", _HMS_FAILED)):
            stop(spark)
            raise UserError(
                f"cannot open the Spark metastore {warehouse_dir / 'metastore_db'}: another "
                "process is using this warehouse, or the metastore is damaged"
            ) from exc
        raise
    return spark


def _quote_identifier(name: str, what: str) -> str:
    """Back-quote a schema or table name after checking it is a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise UserError(f"{what} name {name!r} must be letters, digits and underscores")
    return f"`{name}`"


def _sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def register_parquet_tables(
    spark: SparkSession, tables: dict[str, Path], schema: str = "cpc_raw"
) -> None:
    """(Re)create ``schema.<name>`` as an external parquet table over each given path.

    ``tables`` maps table name to a parquet file or a folder of parquet files. The schema
    (database) is created if missing; an existing table of the same name is dropped first
    (external tables: dropping never deletes the parquet data), so re-registering after the
    file changed picks up the new columns and rows.

    Raises:
        UserError: a bad schema/table name or a parquet path that does not exist.
    """
    database = _quote_identifier(schema, "schema")
    resolved: dict[str, Path] = {}
    for name, path in tables.items():
        _quote_identifier(name, "table")
        full = Path(path).expanduser().resolve()
        if not full.exists():
            raise UserError(f"parquet file for {schema}.{name} not found: {full}")
        resolved[name] = full
    # Look first: CREATE DATABASE IF NOT EXISTS can log a spurious "created concurrently"
    # warning with the Hive catalog.
    if not spark.catalog.databaseExists(schema):
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    for name, full in resolved.items():
        table = f"{database}.{_quote_identifier(name, 'table')}"
        spark.sql(f"DROP TABLE IF EXISTS {table}")
        spark.sql(f"CREATE TABLE {table} USING parquet LOCATION {_sql_string(str(full))}")
        spark.sql(f"REFRESH TABLE {table}")


def stop(spark: SparkSession) -> None:
    """Stop the session, its SparkContext and the JVM behind them.

    Ending the JVM (and waiting for it) releases the warehouse's Derby metastore at once, so
    another process can open the same warehouse right away. A later :func:`spark_session` in
    this process starts a fresh JVM (honouring the driver memory again).
    """
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    process = getattr(gateway, "proc", None)
    with contextlib.suppress(Exception):  # the JVM may already be gone
        gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    if process is None:
        return
    if process.stdin is not None:
        process.stdin.close()  # the gateway JVM exits when its stdin closes
    try:
        process.wait(timeout=JVM_EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
