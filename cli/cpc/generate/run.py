"""The generator's entry point: check the arguments, simulate month by month, write every file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from cpc.errors import UserError
from cpc.generate import kubernetes
from cpc.generate.allocation import write_allocation
from cpc.generate.anomalies import write_anomalies
from cpc.generate.billing import billing_frame, billing_select
from cpc.generate.budgets import write_budgets
from cpc.generate.catalog import Catalogs, build_catalogs
from cpc.generate.currencies import fx_rates, write_fx_rates
from cpc.generate.files import Writer, clean_month_files
from cpc.generate.ground_truth import write_ground_truth, write_unit_costs
from cpc.generate.kubernetes import Cluster, build_cluster
from cpc.generate.month import simulate_month
from cpc.generate.other_costs import other_costs, other_costs_truth, write_other_costs
from cpc.generate.periods import Month, calendar_months
from cpc.generate.revenue import revenue, write_revenue
from cpc.generate.support import build_support, support_truth, write_support
from cpc.generate.usage import usage_frame, usage_select
from cpc.generate.world import World, build_world, write_customers

FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet")
MAX_CUSTOMER_DAYS = 20_000_000


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate` wrote."""

    out_dir: Path
    customers: int
    days: int
    billing_rows: int
    usage_rows: int
    files_written: int
    total_effective_cost: float
    total_true_cost: float
    support_tickets: int = 0
    other_costs: int = 0
    kubernetes_rows: int = 0
    fx_rates: int = 0
    files: tuple[Path, ...] = field(default=(), repr=False)


@dataclass
class _Simulation:
    """The simulated world for the whole window, and the rows written so far."""

    world: World
    cluster: Cluster
    cat: Catalogs
    fx: np.ndarray  # (days, accounts) the rate each account's amounts convert at
    iso: list[str]  # the window's hours (and the end) as FOCUS timestamps
    billing_rows: int = 0
    usage_rows: int = 0
    kubernetes_rows: int = 0
    total_effective: float = 0.0
    unit_costs: list[pd.DataFrame] = field(default_factory=list)

    def write_month(self, month: Month, index: int, out_dir: Path, writer: Writer) -> np.ndarray:
        """Write the month's billing, usage and k8s_usage files; return its (customers,) truth."""
        ext, start = writer.file_format, self.world.start
        result = simulate_month(self.world, self.cat, self.cluster, self.fx, month, index)
        truth = result.truth
        self.unit_costs.append(result.unit_costs)
        frame = billing_frame(result.rows, self.cat, self.iso)
        self.total_effective += float(frame["EffectiveCost"].sum())
        self.billing_rows += len(frame)
        billing_file = out_dir / "billing" / f"focus-{month.label}.{ext}"
        writer.write(frame, billing_select(frame, month), billing_file)
        del frame, result
        usage = usage_frame(self.world, month, index)
        self.usage_rows += len(usage)
        writer.write(usage, usage_select(start), out_dir / "usage" / f"usage-{month.label}.{ext}")
        del usage
        pods = kubernetes.usage_frame(self.cluster, month)
        self.kubernetes_rows += len(pods)
        writer.write(
            pods,
            kubernetes.usage_select(self.cluster, start),
            out_dir / "k8s_usage" / f"k8s-usage-{month.label}.{ext}",
        )
        return truth


def _simulation(
    customers: int, days: int, seed: int, start: date
) -> tuple[_Simulation, pd.DataFrame]:
    """The world, its cluster and bill catalogs and the EUR rates (and their fx_rates.csv)."""
    world = build_world(customers, days, seed, start)
    cluster = build_cluster(world)
    cat = build_catalogs(world, cluster)
    fx_frame, fx = fx_rates(world)
    base = datetime(start.year, start.month, start.day)
    iso = [(base + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in range(days * 24 + 1)]
    return _Simulation(world=world, cluster=cluster, cat=cat, fx=fx, iso=iso), fx_frame


def _is_whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_arguments(customers: int, days: int, seed: int, start: date, file_format: str) -> None:
    """Raise a one-line UserError for a bad argument."""
    if not _is_whole(customers) or customers < 1:
        raise UserError(f"customers must be a whole number of at least 1, got {customers!r}")
    if not _is_whole(days) or days < 1:
        raise UserError(f"days must be a whole number of at least 1, got {days!r}")
    if not _is_whole(seed) or seed < 0:
        raise UserError(f"seed must be a whole number of at least 0, got {seed!r}")
    if file_format not in FORMATS:
        raise UserError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")
    if isinstance(start, datetime) or not isinstance(start, date):
        raise UserError(f"start must be a date (YYYY-MM-DD), got {start!r}")
    if int(customers) * int(days) > MAX_CUSTOMER_DAYS:
        raise UserError(
            f"{customers} customers x {days} days is too large for the demo generator "
            f"(at most {MAX_CUSTOMER_DAYS:,} customer-days)"
        )


def generate(
    out_dir: Path,
    customers: int,
    days: int,
    seed: int,
    start: date = date(2024, 1, 1),
    file_format: str = "csv.gz",
    progress: Callable[[str], None] | None = None,
) -> GenerateSummary:
    """Write a demo data set for `customers` over `days` days from `start` into `out_dir`.

    ``file_format`` (csv, csv.gz or parquet) applies to billing/, usage/ and k8s_usage/; the other
    files are always CSV (and allocation.yml). Month files an earlier run left in those folders are
    replaced. The same arguments always produce byte-identical files.

    Raises:
        UserError: Bad arguments (one line).
    """
    _check_arguments(customers, days, seed, start, file_format)
    customers, days, seed = int(customers), int(days), int(seed)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output path {out_dir} exists and is not a folder")
    say = progress or (lambda _msg: None)

    out_dir.mkdir(parents=True, exist_ok=True)
    clean_month_files(out_dir)
    say(f"simulating {customers:,} customers over {days} days")
    sim, fx_frame = _simulation(customers, days, seed, start)
    world = sim.world
    months = calendar_months(start, days)
    truth = np.zeros((customers, len(months)))
    writer = Writer(file_format)
    try:
        for i, month in enumerate(months):
            truth[:, i] = sim.write_month(month, i, out_dir, writer)
            say(
                f"{month.label}: {sim.billing_rows:,} billing rows, "
                f"{sim.usage_rows:,} usage rows so far"
            )
        support = build_support(world)
        truth += support_truth(world, months, support)
        write_support(world, support, out_dir, writer)
        amounts = revenue(world, months)
        costs = other_costs(world)
        truth += other_costs_truth(world, months, costs, amounts)
        write_other_costs(costs, out_dir, writer)
        write_fx_rates(fx_frame, out_dir, writer)
        kubernetes.write_namespaces(world, sim.cluster, out_dir, writer)
        write_customers(world, out_dir, writer)
        write_revenue(world, months, amounts, out_dir, writer)
        write_budgets(world, months, truth, out_dir, writer)
        write_ground_truth(world, months, truth, out_dir, writer)
        write_unit_costs(sim.unit_costs, out_dir, writer)
        write_anomalies(world.ids, world.start, world.anomalies, out_dir, writer)
        write_allocation(world, out_dir, writer)
    finally:
        writer.close()
    say(f"wrote {len(writer.files)} files to {out_dir}")
    return GenerateSummary(
        out_dir=out_dir,
        customers=customers,
        days=days,
        billing_rows=sim.billing_rows,
        usage_rows=sim.usage_rows,
        files_written=len(writer.files),
        total_effective_cost=round(sim.total_effective, 6),
        total_true_cost=round(float(np.round(truth, 6).sum()), 6),
        support_tickets=len(support.tickets),
        other_costs=len(costs),
        kubernetes_rows=sim.kubernetes_rows,
        fx_rates=len(fx_frame),
        files=tuple(writer.files),
    )
