"""The world: customers, their consumption and the shared infrastructure for the whole window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.anomalies import Anomaly, inject, plan
from cpc.generate.company import (
    ACCOUNTS,
    CPU,
    DB,
    DEDICATED_GB_PER_SIZE,
    EC2_SHARED_VCPU,
    EC2_TARGET_UTIL,
    ENT,
    FREE,
    METRIC_RATE,
    METRICS,
    MID,
    RDS_SHARED_VCPU,
    RDS_TARGET_UTIL,
    REGION_ACCOUNT,
    REGIONS,
    SEGMENT_SHARE,
    SEGMENT_SIZE,
    SEGMENT_USES,
    SEGMENTS,
    STORAGE,
)
from cpc.generate.util import quotas

if TYPE_CHECKING:
    from cpc.generate.files import Writer

_ADJECTIVES = (
    "Blue",
    "Silver",
    "Northern",
    "Bright",
    "Quiet",
    "Rapid",
    "Golden",
    "Crimson",
    "Lucky",
    "Clever",
    "Solid",
    "Open",
    "Green",
    "Urban",
    "Coastal",
    "Prairie",
    "Summit",
    "Iron",
    "Maple",
    "Cedar",
    "Harbor",
    "Pioneer",
    "Vivid",
    "Atlas",
    "Nimble",
    "Polar",
    "Copper",
    "Falcon",
)
_NOUNS = (
    "Labs",
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Media",
    "Foods",
    "Finance",
    "Studio",
    "Systems",
    "Networks",
    "Energy",
    "Travel",
    "Retail",
    "Learning",
    "Security",
    "Bio",
    "Motors",
    "Games",
    "Insights",
    "Works",
    "Cloud",
    "Data",
    "Freight",
)
_SUFFIXES = (("Inc.", "LLC", "Co."), ("Ltd", "GmbH", "B.V.", "SAS"), ("Pty Ltd", "Ltd"))



def active_days(first: np.ndarray, last: np.ndarray, days: int) -> np.ndarray:
    """(days, customers) whether each customer is active on each window day."""
    day = np.arange(days)
    return (day[:, None] >= first[None, :]) & (day[:, None] <= last[None, :])


@dataclass
class World:
    """The customers and the infrastructure they run on; day indices count from `start`."""

    seed: int
    start: date
    days: int
    n: int
    ids: list[str]
    names: list[str]
    segment: np.ndarray
    size: np.ndarray
    region: np.ndarray
    first: np.ndarray  # first active day index
    last: np.ndarray  # last active day index (inclusive)
    signup: list[date]
    growth: np.ndarray
    revenue_factor: np.ndarray
    uses: np.ndarray  # (customers, metrics)
    consumption: np.ndarray  # (days, customers, metrics) true, noise-free
    dedicated_gb: np.ndarray  # (days, customers) GB in the customer's own bucket
    ec2_running: np.ndarray  # (hours, regions) shared cluster instances running
    commit_instances: int
    rds_shared: np.ndarray  # (regions,) shared DB instance count
    region_active: np.ndarray  # (regions,) bool
    account_active: np.ndarray  # (accounts,) bool
    own_db: np.ndarray
    tag_rng: np.random.Generator
    dedicated_ec2: list[tuple[int, str, int]] = field(default_factory=list)  # (owner, type, src)
    dedicated_rds: list[tuple[int, str, int]] = field(default_factory=list)
    dedicated_s3: dict[int, int] = field(default_factory=dict)  # owner -> src
    orphan_ec2: list[int] = field(default_factory=list)  # src ids
    orphan_s3: list[tuple[int, float]] = field(default_factory=list)  # (src, GB)
    anomalies: list[Anomaly] = field(default_factory=list)  # injected into `consumption`

    def active(self) -> np.ndarray:
        """(days, customers) whether each customer is active on each window day."""
        return active_days(self.first, self.last, self.days)


@dataclass
class _Customers:
    """Who the customers are and when they are active (indices of days of the window)."""

    segment: np.ndarray
    size: np.ndarray
    region: np.ndarray
    first: np.ndarray
    last: np.ndarray
    signup_offset: np.ndarray
    growth: np.ndarray  # per 30 days
    revenue_factor: np.ndarray
    mix: np.ndarray  # (customers, metrics)
    uses: np.ndarray  # (customers, metrics)
    own_db: np.ndarray


def _customers(rng: np.random.Generator, n: int, days: int) -> _Customers:
    counts = quotas(n, SEGMENT_SHARE, at_least_one=n >= 4)
    segment = rng.permutation(np.repeat(np.arange(4), counts))
    size = SEGMENT_SIZE[segment] * rng.lognormal(0.0, 0.8, n)
    region = rng.choice(len(REGIONS), size=n, p=[r.share for r in REGIONS])
    region[0] = 0  # the commitment lives in us-east-1, so make sure someone runs there

    late = rng.random(n) < 0.10
    first = np.where(late & (days > 1), rng.integers(1, max(days, 2), n), 0)
    churn = rng.random(n) < 0.05
    lo, hi = first, days - 2
    churn_day = lo + np.floor(rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    last = np.where(churn & (hi >= lo), churn_day, days - 1)
    signup_offset = rng.integers(14, 1500, n)

    growth = rng.normal(0.02, 0.04, n)
    revenue_factor = rng.lognormal(0.0, 0.35, n)
    mix = rng.lognormal(0.0, 0.35, (n, len(METRICS)))

    uses = SEGMENT_USES[segment].copy()
    ent = np.flatnonzero(segment == ENT)
    own_db = ent[rng.random(len(ent)) < 0.4]
    uses[own_db, DB] = False

    # Every (region, service) that has users keeps at least one customer active all window, so
    # no shared cost is ever left without a consumer to split it over.
    for r in range(len(REGIONS)):
        for m in range(len(METRICS)):
            users = np.flatnonzero(uses[:, m] & (region == r))
            if len(users):
                first[users[0]] = 0
                last[users[0]] = days - 1
    return _Customers(
        segment=segment,
        size=size,
        region=region,
        first=first,
        last=last,
        signup_offset=signup_offset,
        growth=growth,
        revenue_factor=revenue_factor,
        mix=mix,
        uses=uses,
        own_db=own_db,
    )


def _names(rng: np.random.Generator, region: np.ndarray) -> list[str]:
    """Company names, with a legal suffix that fits the customer's region."""
    n = len(region)
    adj = rng.integers(0, len(_ADJECTIVES), n)
    noun = rng.integers(0, len(_NOUNS), n)
    suffix_pick = rng.random(n)
    names = []
    for i in range(n):
        suffixes = _SUFFIXES[region[i]]
        suffix = suffixes[int(suffix_pick[i] * len(suffixes))]
        names.append(f"{_ADJECTIVES[adj[i]]} {_NOUNS[noun[i]]} {suffix}")
    return names


def _consumption(
    rng: np.random.Generator, c: _Customers, start: date, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Daily activity: (days, customers, metrics) true consumption of the shared services and
    (days, customers) GB in the customers' own buckets."""
    day = np.arange(days)
    weekday = (start.weekday() + day) % 7
    weekend = weekday >= 5
    week_factor = np.where(weekend[:, None], np.where(c.segment == FREE, 0.9, 0.65)[None, :], 1.0)
    trend = np.exp(c.growth[None, :] * day[:, None] / 30.0)
    active = active_days(c.first, c.last, days)
    n = len(c.segment)
    activity = c.size[None, :] * week_factor * trend * rng.lognormal(0.0, 0.12, (days, n))
    consumption = activity[:, :, None] * (c.mix * METRIC_RATE)[None, :, :]
    consumption *= rng.lognormal(0.0, 0.06, consumption.shape)
    # Stored data changes slowly: no weekly cycle, no day-to-day noise.
    consumption[:, :, STORAGE] = c.size * trend * c.mix[:, STORAGE] * METRIC_RATE[STORAGE]
    consumption *= active[:, :, None] & c.uses[None, :, :]
    dedicated_gb = np.where(
        active & (c.segment >= MID)[None, :],
        c.size[None, :] * trend * c.mix[None, :, STORAGE] * DEDICATED_GB_PER_SIZE,
        0.0,
    )
    return consumption, dedicated_gb


def ec2_diurnal() -> np.ndarray:
    """(24, regions) the share of a day's core-hours that falls in each UTC hour, a cycle in each
    region's local time."""
    hour_of_day = np.arange(24)
    diurnal = np.empty((24, len(REGIONS)))
    for r, reg in enumerate(REGIONS):
        local = (hour_of_day + reg.utc_offset) % 24
        w = 1.0 + 0.45 * np.cos(2 * np.pi * (local - 14) / 24.0)
        diurnal[:, r] = w / w.sum()
    return diurnal


def _ec2_running(cpu_day: np.ndarray, region_active: np.ndarray, days: int) -> np.ndarray:
    """(hours, regions) instances of the autoscaled shared EC2 cluster running each hour, from
    the (days, regions) core-hours it serves and a diurnal cycle in each region's local time."""
    demand = np.repeat(cpu_day, 24, axis=0) * np.tile(ec2_diurnal(), (days, 1))
    running = np.maximum(np.ceil(demand / (EC2_SHARED_VCPU * EC2_TARGET_UTIL)), 2)
    return (running * region_active[None, :]).astype(np.int64)


def _rds_shared(db_day: np.ndarray, has_db_users: np.ndarray) -> np.ndarray:
    """(regions,) shared database instances: enough for the mean daily load, one at least."""
    db_capacity = RDS_SHARED_VCPU * 3600 * 24 * RDS_TARGET_UTIL
    rds_needed = np.maximum(1, np.round(db_day.mean(axis=0) / db_capacity))
    return np.where(has_db_users, rds_needed, 0).astype(np.int64)


def build_world(customers: int, days: int, seed: int, start: date) -> World:
    """The customers and the infrastructure they run on, for `days` days from `start`."""
    rng = np.random.default_rng([seed, 1])
    n = customers
    c = _customers(rng, n, days)
    names = _names(rng, c.region)
    ids = [f"cust-{i + 1:05d}" for i in range(n)]
    # Customers active from day 0 signed up some time before the window.
    signup = [
        start + timedelta(days=int(c.first[i] if c.first[i] > 0 else -c.signup_offset[i]))
        for i in range(n)
    ]
    consumption, dedicated_gb = _consumption(rng, c, start, days)
    anomalies = plan(seed, c.segment, c.size, c.first, c.last, days)
    inject(consumption, anomalies)

    onehot = np.zeros((n, len(REGIONS)))
    onehot[np.arange(n), c.region] = 1.0
    region_active = onehot.sum(axis=0) > 0
    running = _ec2_running(consumption[:, :, CPU] @ onehot, region_active, days)
    has_db_users = (c.uses[:, DB][:, None] & (onehot > 0)).any(axis=0)
    account_active = np.zeros(len(ACCOUNTS), dtype=bool)
    account_active[REGION_ACCOUNT[region_active]] = True
    return World(
        seed=seed,
        start=start,
        days=days,
        n=n,
        ids=ids,
        names=names,
        segment=c.segment,
        size=c.size,
        region=c.region,
        first=c.first,
        last=c.last,
        signup=signup,
        growth=c.growth,
        revenue_factor=c.revenue_factor,
        uses=c.uses,
        consumption=consumption,
        dedicated_gb=dedicated_gb,
        ec2_running=running,
        commit_instances=max(1, int(np.percentile(running[:, 0], 30))),
        rds_shared=_rds_shared(consumption[:, :, DB] @ onehot, has_db_users),
        region_active=region_active,
        account_active=account_active,
        own_db=c.own_db,
        tag_rng=np.random.default_rng([seed, 2]),
        anomalies=anomalies,
    )


def write_customers(w: World, out_dir: Path, writer: Writer) -> None:
    """customers.csv: one row per customer."""
    customers = pd.DataFrame(
        {
            "customer_id": w.ids,
            "customer_name": w.names,
            "segment": [SEGMENTS[s] for s in w.segment],
            "region": [REGIONS[r].id for r in w.region],
            "active_from": [d.isoformat() for d in w.signup],
            # The contract's window is [active_from, active_to): active_to is the first day
            # without activity.
            "active_to": [
                (w.start + timedelta(days=int(last) + 1)).isoformat() if last < w.days - 1 else None
                for last in w.last
            ],
        }
    )
    writer.write_csv(customers, "SELECT * FROM frame", out_dir / "customers.csv")
