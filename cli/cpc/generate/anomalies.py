"""Known cost anomalies, injected into a few customers' consumption, and their ground truth
(ground_truth_anomalies.csv).

Three customers, active on every day of the window, each get one anomaly. They are drawn (from
their own random stream, so nothing else the generator draws changes) from the larger half of the
mid-market customers, whose daily cost is a few dollars or more, so that an alert on them is worth
sending (smb customers join the draw in a world with too few).

* ``runaway``: a runaway job. The customer's compute (EC2 core-hours and Lambda) runs at
  RUNAWAY_FACTOR times its usual level for RUNAWAY_DAYS days.
* ``drift``: a slow drift. From a day near the middle of the window to its end, the customer's
  activity (every metric but stored data) grows by the same percentage every day, to
  DRIFT_FACTOR times its level on the window's last day.
* ``blip``: a one-day blip. The customer's activity is BLIP_FACTOR times its level on one day.

The bill and the telemetry follow the consumption, so the injected cost is real cost: the
ground truth of what each customer drove (ground_truth.csv) includes it. Every anomaly starts
at least MIN_HISTORY_DAYS days into the window, so a detector has history to judge it against;
a window shorter than MIN_WINDOW_DAYS gets no anomalies (the file has its header only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpc.generate.company import CPU, FUNCS, MID, SMB, STORAGE

if TYPE_CHECKING:
    from cpc.generate.files import Writer

RUNAWAY_FACTOR = 6.0
RUNAWAY_DAYS = 4
DRIFT_FACTOR = 2.5
BLIP_FACTOR = 4.0
MIN_HISTORY_DAYS = 21
MIN_WINDOW_DAYS = 35
KINDS: tuple[str, ...] = ("runaway", "drift", "blip")


@dataclass(frozen=True)
class Anomaly:
    """One injected anomaly: its customer (index), kind, the cost scope it shows in most
    (a cost category, or ``total``), and its first and last day indices (inclusive)."""

    customer: int
    kind: str
    scope: str
    first_day: int
    last_day: int
    factor: float


def plan(
    seed: int, segment: np.ndarray, size: np.ndarray, first: np.ndarray, last: np.ndarray, days: int
) -> list[Anomaly]:
    """The anomalies of a window of `days` days: one of each kind, on three distinct customers."""
    always = (first == 0) & (last == days - 1)
    eligible = np.array([], dtype=np.int64)
    for segments in ((MID,), (MID, SMB)):
        pool = np.flatnonzero(np.isin(segment, segments) & always)
        eligible = pool[size[pool] >= np.median(size[pool])] if len(pool) else pool
        if len(eligible) >= len(KINDS):
            break
    if days < MIN_WINDOW_DAYS or len(eligible) < len(KINDS):
        return []
    rng = np.random.default_rng([seed, 10])
    chosen = rng.choice(eligible, size=len(KINDS), replace=False)
    runaway_start = max(MIN_HISTORY_DAYS, int(days * 0.55))
    drift_start = max(MIN_HISTORY_DAYS, int(days * 0.5))
    blip_day = max(MIN_HISTORY_DAYS, int(days * 0.8))
    return [
        Anomaly(int(chosen[0]), "runaway", "compute", runaway_start,
                runaway_start + RUNAWAY_DAYS - 1, RUNAWAY_FACTOR),
        Anomaly(int(chosen[1]), "drift", "total", drift_start, days - 1, DRIFT_FACTOR),
        Anomaly(int(chosen[2]), "blip", "total", blip_day, blip_day, BLIP_FACTOR),
    ]


def inject(consumption: np.ndarray, anomalies: list[Anomaly]) -> None:
    """Apply the anomalies to (days, customers, metrics) consumption, in place."""
    activity = [m for m in range(consumption.shape[2]) if m != STORAGE]
    for anomaly in anomalies:
        span = slice(anomaly.first_day, anomaly.last_day + 1)
        c = anomaly.customer
        if anomaly.kind == "runaway":
            consumption[span, c, [CPU, FUNCS]] *= anomaly.factor
        elif anomaly.kind == "drift":
            steps = np.arange(anomaly.last_day - anomaly.first_day + 1) + 1
            growth = anomaly.factor ** (steps / len(steps))
            for m in activity:
                consumption[span, c, m] *= growth
        else:
            for m in activity:
                consumption[span, c, m] *= anomaly.factor


def write_anomalies(
    ids: list[str], start: date, anomalies: list[Anomaly], out_dir: Path, writer: Writer
) -> None:
    """ground_truth_anomalies.csv: one row per injected anomaly."""
    frame = pd.DataFrame(
        {
            "customer_id": [ids[a.customer] for a in anomalies],
            "kind": [a.kind for a in anomalies],
            "scope": [a.scope for a in anomalies],
            "first_date": [(start + timedelta(days=a.first_day)).isoformat() for a in anomalies],
            "last_date": [(start + timedelta(days=a.last_day)).isoformat() for a in anomalies],
            "factor": [a.factor for a in anomalies],
        },
        columns=["customer_id", "kind", "scope", "first_date", "last_date", "factor"],
    )
    writer.write_csv(
        frame,
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(kind AS VARCHAR) AS kind, "
        "CAST(scope AS VARCHAR) AS scope, CAST(first_date AS VARCHAR) AS first_date, "
        "CAST(last_date AS VARCHAR) AS last_date, CAST(factor AS DOUBLE) AS factor FROM frame",
        out_dir / "ground_truth_anomalies.csv",
    )
