"""Score the pipeline's per-customer monthly cost against a generator's ground truth."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from cpc.errors import UserError
from cpc.warehouse import Query

#: The error bound the end-to-end test enforces on generated data; see README "Accuracy".
WAPE_BOUND = 0.05


@dataclass
class TruthScore:
    """How far allocated cost is from what customers really drove.

    wape: sum over customer-months of |allocated - true|, divided by the sum of true cost.
    """

    customer_months: int
    true_total: Decimal
    allocated_total: Decimal
    absolute_error: Decimal
    wape: float
    worst: list[tuple[str, str, Decimal, Decimal]] = field(default_factory=list)


def read_truth(path: Path) -> dict[tuple[str, str], Decimal]:
    """ground_truth.csv (customer_id, month YYYY-MM, true_cost) as {(customer, month): cost}."""
    if not path.is_file():
        raise UserError(f"{path}: ground truth file not found")
    truth: dict[tuple[str, str], Decimal] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"customer_id", "month", "true_cost"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                key = (row["customer_id"], row["month"][:7])
                truth[key] = truth.get(key, Decimal(0)) + Decimal(row["true_cost"])
            except (ArithmeticError, TypeError) as exc:
                raise UserError(f"{path}:{line}: unreadable true_cost {row.get('true_cost')!r}") from exc
    return truth


def score(query: Query, truth_path: Path, worst: int = 5) -> TruthScore:
    """Compare customer_costs_monthly with the ground truth, customer-month by customer-month."""
    truth = read_truth(truth_path)
    allocated: dict[tuple[str, str], Decimal] = {}
    for row in query(
        "select customer_id, month, sum(total_cost) as total_cost "
        "from marts.customer_costs_monthly group by customer_id, month"
    ):
        key = (row["customer_id"], str(row["month"])[:7])
        allocated[key] = Decimal(str(row["total_cost"]))
    keys = set(truth) | set(allocated)
    errors = {key: allocated.get(key, Decimal(0)) - truth.get(key, Decimal(0)) for key in keys}
    true_total = sum(truth.values(), Decimal(0))
    absolute = sum((abs(error) for error in errors.values()), Decimal(0))
    ranked = sorted(keys, key=lambda key: abs(errors[key]), reverse=True)[:worst]
    return TruthScore(
        customer_months=len(keys),
        true_total=true_total,
        allocated_total=sum(allocated.values(), Decimal(0)),
        absolute_error=absolute,
        wape=float(absolute / true_total) if true_total else 0.0,
        worst=[(c, m, allocated.get((c, m), Decimal(0)), truth.get((c, m), Decimal(0))) for c, m in ranked],
    )


#: The precision and recall of customer_cost_anomalies the suite requires on generated data.
ANOMALY_BOUND = 0.9


@dataclass(frozen=True)
class TrueAnomaly:
    """One injected anomaly of ground_truth_anomalies.csv (dates inclusive)."""

    customer_id: str
    kind: str
    scope: str
    first_date: date
    last_date: date


@dataclass
class AnomalyScore:
    """customer_cost_anomalies against the injected anomalies, episode by episode.

    An episode (anomaly_id) is a true positive when it overlaps an injected anomaly of its
    customer (its days between the anomaly's first and last date); an injected anomaly is found
    when some episode overlaps it. precision = true episodes / episodes; recall = anomalies found
    / anomalies injected. Day by day as well: flagged customer-days inside an anomaly over all
    flagged customer-days.
    """

    anomalies: int
    found: list[TrueAnomaly]
    missed: list[TrueAnomaly]
    episodes: int
    false_episodes: list[tuple[str, str, date, date]]  # anomaly_id, customer, first, last day
    flagged_days: int
    true_flagged_days: int

    @property
    def precision(self) -> float:
        return (self.episodes - len(self.false_episodes)) / self.episodes if self.episodes else 1.0

    @property
    def recall(self) -> float:
        return len(self.found) / self.anomalies if self.anomalies else 1.0

    @property
    def day_precision(self) -> float:
        return self.true_flagged_days / self.flagged_days if self.flagged_days else 1.0


def read_anomalies(path: Path) -> list[TrueAnomaly]:
    """ground_truth_anomalies.csv (customer_id, kind, scope, first_date, last_date, factor)."""
    if not path.is_file():
        raise UserError(f"{path}: anomaly ground truth file not found")
    anomalies = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"customer_id", "kind", "scope", "first_date", "last_date"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                first, last = date.fromisoformat(row["first_date"]), date.fromisoformat(row["last_date"])
            except (TypeError, ValueError) as exc:
                raise UserError(f"{path}:{line}: unreadable first_date or last_date") from exc
            anomalies.append(TrueAnomaly(row["customer_id"], row["kind"], row["scope"], first, last))
    return anomalies


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def score_anomalies(query: Query, truth_path: Path) -> AnomalyScore:
    """Compare customer_cost_anomalies with ground_truth_anomalies.csv (see AnomalyScore)."""
    anomalies = read_anomalies(truth_path)
    rows = query(
        "select anomaly_id, customer_id, cost_date from marts.customer_cost_anomalies "
        "group by anomaly_id, customer_id, cost_date"
    )
    days: dict[str, list[date]] = {}
    customers: dict[str, str] = {}
    for row in rows:
        days.setdefault(row["anomaly_id"], []).append(_as_date(row["cost_date"]))
        customers[row["anomaly_id"]] = row["customer_id"]

    def inside(customer: str, day: date) -> list[TrueAnomaly]:
        return [a for a in anomalies if a.customer_id == customer and a.first_date <= day <= a.last_date]

    found: set[TrueAnomaly] = set()
    false_episodes = []
    flagged = true_flagged = 0
    for anomaly_id, episode_days in sorted(days.items()):
        customer = customers[anomaly_id]
        hits = {a for day in episode_days for a in inside(customer, day)}
        found |= hits
        flagged += len(episode_days)
        true_flagged += sum(1 for day in episode_days if inside(customer, day))
        if not hits:
            false_episodes.append((anomaly_id, customer, min(episode_days), max(episode_days)))
    return AnomalyScore(
        anomalies=len(anomalies),
        found=[a for a in anomalies if a in found],
        missed=[a for a in anomalies if a not in found],
        episodes=len(days),
        false_episodes=false_episodes,
        flagged_days=flagged,
        true_flagged_days=true_flagged,
    )


#: The weighted error of marginal_cost_by_driver's reliable estimates the suite allows on
#: generated data (see docs/marginal_cost.md, "Accuracy").
MARGINAL_BOUND = 0.10


@dataclass(frozen=True)
class MarginalEstimate:
    """One family-month of marginal_cost_by_driver beside its ground truth."""

    service_name: str
    metric: str
    month: str
    cost_shape: str
    estimated: float | None
    true: float
    volume: float
    is_reliable: bool
    reason: str | None

    @property
    def relative_error(self) -> float | None:
        """(estimated - true) / true; None without an estimate or a true unit cost."""
        if self.estimated is None or self.true == 0:
            return None
        return self.estimated / self.true - 1


@dataclass
class MarginalScore:
    """marginal_cost_by_driver against ground_truth_unit_costs.csv, family-month by family-month.

    wape: over the reliable estimates, sum of |estimated - true| x the month's volume divided by
    the sum of true x volume, the error in the variable cost of the month the estimates imply.
    """

    estimates: list[MarginalEstimate]

    @property
    def reliable(self) -> list[MarginalEstimate]:
        return [e for e in self.estimates if e.is_reliable]

    @property
    def wape(self) -> float:
        rows = [e for e in self.reliable if e.estimated is not None]
        true = sum(e.true * e.volume for e in rows)
        return sum(abs(e.estimated - e.true) * e.volume for e in rows) / true if true else 0.0  # type: ignore[operator]


def read_unit_costs(path: Path) -> dict[tuple[str, str, str], tuple[str, float]]:
    """ground_truth_unit_costs.csv as {(service, metric, month YYYY-MM): (cost_shape, true_unit_cost)}."""
    if not path.is_file():
        raise UserError(f"{path}: unit cost ground truth file not found")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"service_name", "metric", "month", "cost_shape", "true_unit_cost"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        try:
            return {
                (row["service_name"], row["metric"], row["month"][:7]): (row["cost_shape"], float(row["true_unit_cost"]))
                for row in reader
            }
        except (TypeError, ValueError) as exc:
            raise UserError(f"{path}: unreadable true_unit_cost") from exc


def score_marginal(query: Query, truth_path: Path) -> MarginalScore:
    """Compare marginal_cost_by_driver with ground_truth_unit_costs.csv (see MarginalScore)."""
    truth = read_unit_costs(truth_path)
    estimates = []
    for row in query(
        "select service_name, driver_metric, month, marginal_unit_cost, month_driver_quantity, is_reliable, "
        "unreliable_reason from marts.marginal_cost_by_driver order by 1, 2, 3"
    ):
        key = (row["service_name"], row["driver_metric"], str(row["month"])[:7])
        if key not in truth:
            continue
        shape, true = truth[key]
        estimated = row["marginal_unit_cost"]
        estimates.append(
            MarginalEstimate(
                service_name=key[0],
                metric=key[1],
                month=key[2],
                cost_shape=shape,
                estimated=None if estimated is None else float(estimated),
                true=true,
                volume=float(row["month_driver_quantity"]),
                is_reliable=bool(row["is_reliable"]),
                reason=row["unreliable_reason"],
            )
        )
    return MarginalScore(estimates)
