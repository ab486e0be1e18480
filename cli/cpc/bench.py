"""Benchmark: generate N customers x D days, build on DuckDB, print rows, wall time and peak memory;
then build the first size on Spark too and print both engines' times side by side.

For each size it also prints two yardsticks:

- the lower bound: one hand-written DuckDB query over the same files that does the core of the
  job (each charge spread over its days, tagged cost to its customer, the rest of a service's
  day split by the customers' usage of that service) and nothing else (no quarantine, currency,
  rules, pools, tests); the full build's time is printed as a multiple of it;
- one appended day: the input delivered through its second-to-last day is built, then the
  delivery with one more day (the month's files re-delivered, as providers do) is built on that
  warehouse, incrementally; its time is printed against the full build's.

Run with `make bench` (or `python -m cpc.bench --sizes 1000x90 10000x90 --format parquet`;
`--spark-master spark://HOST:PORT` builds on a standalone cluster, `--no-spark` skips Spark), and
`make bench-large` for a year of 10k customers and 90 days of 100k (`--large`: DuckDB only, one size
after the other). Each stage runs as its own process so its peak memory (max RSS, the Java process
included) is measured alone; DuckDB keeps within the profile's memory_limit and spills the rest to
disk beside the warehouse. Prints figures, rows per second among them; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from cpc import PROJECT_DIR
from cpc.build import dbt_paths
from cpc.deliveries import deliver_through


def _run(args: list[str]) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MiB, stdout). Raises on failure."""
    started = time.perf_counter()
    env = dict(os.environ, COLUMNS="200")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(output[-5000:])
        raise SystemExit(f"failed: {' '.join(args)}")
    return wall, usage.ru_maxrss / 1024, output


def _cpc(*args: str) -> list[str]:
    return [sys.executable, "-m", "cpc.app", *args]


def bench_one(customers: int, days: int, file_format: str, root: Path) -> dict[str, object]:
    input_dir = root / f"input-{customers}x{days}-{file_format}"
    warehouse = root / f"warehouse-{customers}x{days}.duckdb"
    shutil.rmtree(input_dir, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    gen_wall, gen_rss, _ = _run(_cpc("generate", "--customers", str(customers), "--days", str(days),
                                     "--seed", "1", "--out", str(input_dir), "--format", file_format))
    build_wall, build_rss, _ = _run(_cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse), "--quiet"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = con.execute(
            "select (select count(*) from cpc_raw.billing), (select count(*) from cpc_raw.usage),"
            " (select count(*) from intermediate.int_charges_prorated), (select count(*) from intermediate.int_cost_pools),"
            " (select count(*) from marts.customer_costs_daily), (select count(*) from marts.unattributed_costs_daily)"
        ).fetchone()
    target_path, _ = dbt_paths(warehouse, "duckdb")
    stages = json.loads((target_path / "cpc_build.json").read_text())["seconds"]
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    slowest = sorted(results, key=lambda node: node["execution_time"], reverse=True)[:8]
    return {
        "size": f"{customers:,} x {days}",
        "billing_rows": counts[0], "usage_rows": counts[1], "charge_days": counts[2], "pools": counts[3],
        "ledger_rows": counts[4], "unattributed_rows": counts[5],
        "generate_s": gen_wall, "generate_mib": gen_rss,
        "build_s": build_wall, "build_mib": build_rss,
        "land_s": stages.get("land", 0.0), "dbt_build_s": stages.get("dbt_build", 0.0),
        "warehouse_gib": warehouse.stat().st_size / 2**30,
        "slowest": [(node["unique_id"].split(".")[-1][:60], node["execution_time"]) for node in slowest],
        "tests": sum(1 for node in results if node["unique_id"].startswith(("test.", "unit_test."))),
    }


#: The lower bound's query: tagged cost to its customer, the rest of each service-day by usage share.
LOWER_BOUND_SQL = """
create table allocated as
with charges as (
    select
        cast(ChargePeriodStart as timestamp) as started_at,
        greatest(cast(ChargePeriodEnd as timestamp), cast(ChargePeriodStart as timestamp) + interval 1 second)
            as ended_at,
        cast(EffectiveCost as decimal(38, 10)) as cost,
        ServiceName as service_name,
        json_extract_string(Tags, '$."' || $tag_key || '"') as tagged_customer_id
    from read_csv($billing, header = true, all_varchar = true)
),
charge_days as (
    select
        service_name,
        tagged_customer_id,
        cast(started_at as date) + cast(day_offset as integer) as cost_date,
        cost / day_count as cost
    from (
        select
            *,
            date_diff('day', cast(started_at as date), cast(ended_at - interval 1 second as date)) + 1 as day_count
        from charges
    ) as spans,
    unnest(range(day_count)) as offsets (day_offset)
),
service_days as (
    select cost_date, service_name, tagged_customer_id, sum(cost) as cost
    from charge_days
    group by all
),
usage_totals as (
    select
        cast(usage_date as date) as usage_date, service_name, customer_id,
        sum(cast(quantity as double) / coalesce(cast(sample_rate as double), 1)) as quantity
    from read_csv($usage, header = true, all_varchar = true)
    group by all
),
usage_shares as (
    select *, quantity / sum(quantity) over (partition by usage_date, service_name) as share
    from usage_totals
)
select service_days.tagged_customer_id as customer_id, service_days.cost_date, service_days.cost
from service_days
where service_days.tagged_customer_id is not null
union all
select usage_shares.customer_id, service_days.cost_date, service_days.cost * usage_shares.share
from service_days
inner join usage_shares
    on service_days.cost_date = usage_shares.usage_date and service_days.service_name = usage_shares.service_name
where service_days.tagged_customer_id is null
"""


def lower_bound(input_dir: Path) -> float:
    """Seconds the lower bound's query takes on an input folder (csv or csv.gz files)."""
    import yaml

    settings = yaml.safe_load((input_dir / "allocation.yml").read_text()) or {}
    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(LOWER_BOUND_SQL, {
            "tag_key": settings.get("customer_tag_key", "customer_id"),
            "billing": str(input_dir / "billing" / "*.csv*"), "usage": str(input_dir / "usage" / "*.csv*"),
        })
        con.execute("select count(*), sum(cost) from allocated").fetchone()
    return time.perf_counter() - started


def one_appended_day(customers: int, days: int, file_format: str, root: Path) -> dict[str, object]:
    """Build the input delivered through its second-to-last day, then the delivery with one more
    day on that warehouse; returns the second build's wall time, peak memory and what it allocated."""
    input_dir = root / f"input-{customers}x{days}-{file_format}"
    with duckdb.connect() as con:
        last_day = con.execute("select max(cast(usage_date as date)) from read_csv(?, header = true, all_varchar = true)",
                               [str(input_dir / "usage" / "*.csv*")]).fetchone()[0]
    warehouse = root / f"warehouse-{customers}x{days}-appended.duckdb"
    warehouse.unlink(missing_ok=True)
    delivered = root / f"delivered-{customers}x{days}"
    build = _cpc("build", "--input", str(delivered), "--warehouse", str(warehouse), "--quiet")
    deliver_through(input_dir, delivered, last_day - timedelta(days=1))
    _run(build)
    deliver_through(input_dir, delivered, last_day)
    wall, rss, _ = _run(build)
    target_path, _ = dbt_paths(warehouse, "duckdb")
    summary = json.loads((target_path / "cpc_build.json").read_text())
    return {"appended_s": wall, "appended_mib": rss, "allocated_days": summary.get("allocated_days", {}),
            "input_days": summary.get("input_days"), "land_s": summary["seconds"].get("land", 0.0),
            "dbt_build_s": summary["seconds"].get("dbt_build", 0.0)}


def bench_spark(customers: int, days: int, file_format: str, root: Path, master: str | None) -> dict[str, float]:
    """Build the input bench_one generated on Spark (dbt's unit tests left out on both engines)."""
    input_dir = root / f"input-{customers}x{days}-{file_format}"
    warehouse = root / f"spark-{customers}x{days}"
    shutil.rmtree(warehouse, ignore_errors=True)
    args = _cpc("build", "--input", str(input_dir), "--warehouse", str(warehouse), "--target", "spark", "--quiet")
    wall, rss, _ = _run([*args, *(["--spark-master", master] if master else [])])
    target_path, _ = dbt_paths(warehouse, "spark")
    summary = json.loads((target_path / "cpc_build.json").read_text())
    return {"build_s": wall, "build_mib": rss, "master": summary.get("spark_master", "local"),
            **{f"{stage}_s": seconds for stage, seconds in summary["seconds"].items()}}


#: The sizes of `make bench-large` (CUSTOMERSxDAYS): a year of 10k customers, 90 days of 100k.
LARGE_SIZES = ("10000x365", "100000x90")


def _rows_per_second(row: dict[str, Any], seconds: float | None) -> str:
    """Input rows (billing and usage) per second of a build, as text."""
    return f"{(row['billing_rows'] + row['usage_rows']) / seconds:,.0f}" if seconds else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["1000x90", "10000x90"], help="CUSTOMERSxDAYS")
    parser.add_argument("--format", default="csv.gz", choices=["csv", "csv.gz", "parquet"])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench-results")
    parser.add_argument("--no-spark", dest="spark", action="store_false", help="DuckDB only")
    parser.add_argument("--no-appended-day", dest="appended_day", action="store_false",
                        help="skip the one-appended-day measure")
    parser.add_argument("--spark-master", help="Spark master URL (default local[2] in the build's process)")
    parser.add_argument("--large", action="store_true",
                        help=f"the large sizes ({' '.join(LARGE_SIZES)}), DuckDB only (make bench-large)")
    args = parser.parse_args()
    if args.large:
        args.sizes, args.spark = list(LARGE_SIZES), False
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; input format {args.format}; folder {args.out}")
    rows = []
    for size in args.sizes:
        customers, days = (int(part) for part in size.lower().split("x"))
        print(f"\n== {customers:,} customers x {days} days", flush=True)
        row = bench_one(customers, days, args.format, args.out)
        rows.append(row)
        print(f"input: {row['billing_rows']:,} billing rows, {row['usage_rows']:,} usage rows")
        print(f"model: {row['charge_days']:,} charge-days, {row['pools']:,} cost pools, "
              f"{row['ledger_rows']:,} ledger rows, {row['unattributed_rows']:,} unattributed rows")
        print(f"generate:  {row['generate_s']:7.1f} s  peak {row['generate_mib']:7.0f} MiB")
        print(f"cpc build: {row['build_s']:7.1f} s  peak {row['build_mib']:7.0f} MiB "
              f"(land {row['land_s']:.1f} s, dbt build {row['dbt_build_s']:.1f} s with {row['tests']} tests; "
              f"{_rows_per_second(row, row['build_s'])} input rows/s)")
        print(f"warehouse: {row['warehouse_gib']:.1f} GiB on disk (a build needs room for a second copy: "
              "it builds beside the published file)")
        print("slowest dbt nodes: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in row["slowest"]))
        if args.format != "parquet":
            row["lower_bound_s"] = lower_bound(args.out / f"input-{customers}x{days}-{args.format}")
            print(f"lower bound (one hand-written query): {row['lower_bound_s']:.1f} s; "
                  f"the build takes {row['build_s'] / row['lower_bound_s']:.1f}x that")
        if args.appended_day and args.format != "parquet":
            appended = one_appended_day(customers, days, args.format, args.out)
            row["appended_s"] = appended["appended_s"]
            row["appended_mib"] = appended["appended_mib"]
            why = ", ".join(f"{reason} {count}" for reason, count in sorted(appended["allocated_days"].items()))
            print(f"one appended day: {appended['appended_s']:.1f} s, peak {appended['appended_mib']:.0f} MiB "
                  f"(land {appended['land_s']:.1f} s, dbt build {appended['dbt_build_s']:.1f} s; allocated "
                  f"{sum(appended['allocated_days'].values())} of {appended['input_days']} days: {why}), "
                  f"{100 * appended['appended_s'] / row['build_s']:.0f} % of the full build")
    print("\n| size | billing rows | usage rows | ledger rows | generate s | build s | input rows/s | land s "
          "| dbt build s | build MiB | lower bound s | build / bound | one more day s | one more day MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        bound, appended = row.get("lower_bound_s"), row.get("appended_s")
        ratio = f"{row['build_s'] / bound:.1f}x" if bound else "-"
        appended_mib = row.get("appended_mib")
        print(f"| {row['size']} | {row['billing_rows']:,} | {row['usage_rows']:,} | {row['ledger_rows']:,} | "
              f"{row['generate_s']:.1f} | {row['build_s']:.1f} | {_rows_per_second(row, row['build_s'])} | "
              f"{row['land_s']:.1f} | {row['dbt_build_s']:.1f} | {row['build_mib']:.0f} | "
              f"{f'{bound:.1f}' if bound else '-'} | {ratio} | {f'{appended:.1f}' if appended else '-'} | "
              f"{f'{appended_mib:.0f}' if appended_mib else '-'} |")
    if args.spark and rows:
        customers, days = (int(part) for part in args.sizes[0].lower().split("x"))
        print(f"\n== Spark, the same {customers:,} x {days} input", flush=True)
        spark = bench_spark(customers, days, args.format, args.out, args.spark_master)
        duck = rows[0]
        print(f"spark ({spark['master']}): build {spark['build_s']:.1f} s, peak {spark['build_mib']:.0f} MiB "
              f"(land {spark.get('land_s', 0):.1f} s, Spark start {spark.get('spark_start_s', 0):.1f} s, "
              f"dbt build {spark.get('dbt_build_s', 0):.1f} s)")
        print(f"duckdb: build {duck['build_s']:.1f} s, peak {duck['build_mib']:.0f} MiB; "
              f"Spark / DuckDB wall time {spark['build_s'] / duck['build_s']:.1f}x")


if __name__ == "__main__":
    main()
