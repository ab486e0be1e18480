"""Benchmark: generate N customers x D days, build on DuckDB, print rows, wall time and peak memory;
then build the first size on Spark too and print both engines' times side by side.

Run with `make bench` (or `python -m cpc.bench --sizes 1000x90 10000x90 --format parquet`;
`--spark-master spark://HOST:PORT` builds on a standalone cluster, `--no-spark` skips Spark). Each
stage runs as its own process so its peak memory (max RSS, the Java process included) is measured
alone. Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from cpc import PROJECT_DIR
from cpc.build import dbt_paths


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
        "slowest": [(node["unique_id"].split(".")[-1][:60], node["execution_time"]) for node in slowest],
        "tests": sum(1 for node in results if node["unique_id"].startswith(("test.", "unit_test."))),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["1000x90", "10000x90"], help="CUSTOMERSxDAYS")
    parser.add_argument("--format", default="csv.gz", choices=["csv", "csv.gz", "parquet"])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench-results")
    parser.add_argument("--no-spark", dest="spark", action="store_false", help="DuckDB only")
    parser.add_argument("--spark-master", help="Spark master URL (default local[2] in the build's process)")
    args = parser.parse_args()
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
              f"(land {row['land_s']:.1f} s, dbt build {row['dbt_build_s']:.1f} s with {row['tests']} tests)")
        print("slowest dbt nodes: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in row["slowest"]))
    print("\n| size | billing rows | usage rows | ledger rows | generate s | generate MiB | build s | land s | dbt build s | build MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['size']} | {row['billing_rows']:,} | {row['usage_rows']:,} | {row['ledger_rows']:,} | "
              f"{row['generate_s']:.1f} | {row['generate_mib']:.0f} | {row['build_s']:.1f} | {row['land_s']:.1f} | "
              f"{row['dbt_build_s']:.1f} | {row['build_mib']:.0f} |")
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
