"""Property test of the allocation: random small inputs and rule sets, each built end to end on
DuckDB, then checked against what the input says, computed here independently in Python.

Each example is a full `cpc build` (about 10 s), so there are few examples and no shrinking: a
failing example's input folder (rules included) stays in pytest's temporary directory, named in
the failure, and can be rebuilt with ``cpc build --input``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import build_ok, query
from cpc.rules.project import METHODS
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

START = dt.datetime(2024, 1, 30, tzinfo=dt.UTC)
SEGMENTS = ("free", "smb", "enterprise")
#: service name -> (FOCUS ServiceCategory, its telemetry metric)
SERVICES = {
    "EC2": ("Compute", "cpu"),
    "S3": ("Storage", "gb"),
    "Trail": ("Management and Governance", "events"),
}
ACCOUNTS = ("0123", "0456")
REGIONS = ("us-east-1", "eu-west-1")
TAG_KEYS = ("customer_id", "user:Customer_ID", " customer_id ")
GHOST = "ghost"
NOT_UNUSED = "commitment_discount_status is null or commitment_discount_status <> 'Unused'"
#: Methods whose shares are never negative: every one but proportional_to_cost (a credit placed
#: directly can make a basis negative).
COST_FOLLOWING_METHOD = "proportional_to_cost"
NON_NEGATIVE_METHODS = tuple(method for method in METHODS if method != COST_FOLLOWING_METHOD)
RELATIVE_TOLERANCE = Decimal("1e-6")
# Each charge-day is rounded to the money type's 10 decimals: a few of them per day.
ROUNDING_SLACK = Decimal("1e-8")
SHARE_TOLERANCE = 1e-9


@dataclass
class Customer:
    customer_id: str
    segment: str
    active_from: dt.date | None
    active_to: dt.date | None


@dataclass
class Charge:
    account: str
    service: str
    region: str
    resource: str
    start: dt.datetime
    end: dt.datetime
    category: str
    cost: Decimal
    tag_key: str | None
    tag_value: str | None
    unused: bool


@dataclass
class Scenario:
    days: int
    customers: list[Customer]
    charges: list[Charge]
    usage: list[tuple[dt.date, str | None, str, Decimal, str, str | None]]
    revenue: list[tuple[str, str, Decimal]]
    rules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def customer_ids(self) -> set[str]:
        return {customer.customer_id for customer in self.customers}


def _rich_first(low: int, high: int) -> st.SearchStrategy[int]:
    """An integer in [low, high] whose simplest value is ``high``: only a handful of examples run
    and Hypothesis starts from the simplest draw, so even the first example is a full one."""
    return st.integers(0, high - low).map(lambda below: high - below)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: Decimal) -> str:
    return f"{value:f}"


@st.composite
def _customers(draw: st.DrawFn, days: int) -> list[Customer]:
    customers = []
    for index in range(1, draw(st.integers(2, 6)) + 1):
        kind = draw(st.sampled_from(("always", "always", "window", "from", "to")))
        first = draw(st.integers(0, days - 1))
        last = draw(st.integers(first + 1, days))
        active_from = START.date() + dt.timedelta(days=first)
        active_to = START.date() + dt.timedelta(days=last)
        customers.append(
            Customer(
                customer_id=f"c{index}",
                segment=draw(st.sampled_from(SEGMENTS)),
                active_from=active_from if kind in ("window", "from") else None,
                active_to=active_to if kind in ("window", "to") else None,
            )
        )
    return customers


@st.composite
def _charges(
    draw: st.DrawFn, days: int, services: list[str], accounts: list[str], customers: list[Customer]
) -> list[Charge]:
    period_minutes = days * 24 * 60
    charges = []
    for _ in range(draw(_rich_first(3, 25))):
        category = draw(st.sampled_from(("Usage", "Usage", "Usage", "Usage", "Tax", "Credit")))
        service = draw(st.sampled_from(services))
        start_minute = draw(st.integers(0, period_minutes - 60))
        duration = draw(_rich_first(60, 3 * 24 * 60))
        start = START + dt.timedelta(minutes=start_minute)
        end = START + dt.timedelta(minutes=min(start_minute + duration, period_minutes))
        magnitude = Decimal(draw(st.integers(1, 10_000_000))).scaleb(-4)
        if category != "Usage":
            magnitude = (magnitude / 10).quantize(Decimal("0.0001")) or Decimal("0.0001")
        tag = draw(st.sampled_from(("none", "none", "known", "known", "ghost")))
        tag_value = None
        if tag == "known":
            tag_value = draw(st.sampled_from([customer.customer_id for customer in customers]))
        elif tag == "ghost":
            tag_value = GHOST
        charges.append(
            Charge(
                account=draw(st.sampled_from(accounts)),
                service=service,
                region=draw(st.sampled_from(REGIONS)),
                resource=f"{service.lower()}-{draw(st.integers(1, 3))}",
                start=start,
                end=end,
                category=category,
                cost=-magnitude if category == "Credit" else magnitude,
                tag_key=draw(st.sampled_from(TAG_KEYS)) if tag_value else None,
                tag_value=tag_value,
                unused=category == "Usage" and draw(st.integers(0, 7)) == 0,
            )
        )
    return charges


def _predicates(services: list[str], accounts: list[str]) -> st.SearchStrategy[str | None]:
    return st.sampled_from(
        [
            None,
            *(f"service_name = '{service}'" for service in services),
            *(f"billing_account_id = '{account}'" for account in accounts),
            "charge_category = 'Usage'",
            *(
                f"service_name = '{service}' and billing_account_id = '{account}'"
                for service in services
                for account in accounts
            ),
        ]
    )


@st.composite
def _rules(draw: st.DrawFn, scenario: Scenario, services: list[str], accounts: list[str]) -> list:
    """A random ordered selection from a catalogue of rules valid for this input."""
    segments = sorted({customer.segment for customer in scenario.customers})
    ids = sorted(scenario.customer_ids, key=lambda name: int(name[1:]))
    metrics = {metric for _day, _customer, metric, *_rest in scenario.usage}
    predicate = _predicates(services, accounts)

    def with_match(rule: dict[str, Any], match: str | None) -> dict[str, Any]:
        return {**rule, "match": match} if match else rule

    catalogue: list[dict[str, Any]] = []
    catalogue.append(
        with_match({"name": "tagged", "method": "tag"}, draw(st.sampled_from((None, NOT_UNUSED))))
    )
    for service in services:
        metric = SERVICES[service][1]
        if metric in metrics:
            rule = {"name": f"usage-{service.lower()}", "method": "usage"}
            if draw(st.booleans()):
                rule["metric"] = metric
            catalogue.append(with_match(rule, f"service_name = '{service}'"))
    even: dict[str, Any] = {"name": "even", "method": "even"}
    if draw(st.booleans()):
        scope = draw(st.lists(st.sampled_from(segments), min_size=1, unique=True))
        even["scope"] = {"segments": scope}
    catalogue.append(with_match(even, draw(predicate)))
    weights = draw(
        st.dictionaries(
            st.sampled_from(segments), st.sampled_from((2, 0.5, 1, 3, 0)), min_size=1
        )
    )
    default_weight = draw(st.sampled_from((0, 1)))
    if not any(weights.values()):
        default_weight = 1  # all weights 0 is rightly refused: such a rule could place nothing
    weighted = {
        "name": "weighted",
        "method": "weighted",
        "weights": {"segment": weights},
        "default_weight": default_weight,
    }
    catalogue.append(with_match(weighted, draw(predicate)))
    owners = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    if len(owners) == 1:
        split = draw(st.sampled_from(((1.0,), (0.3,))))
    else:
        split = draw(st.sampled_from(((0.5, 0.5), (0.25, 0.75), (0.6, 0.4), (0.2, 0.5))))
    fixed: dict[str, Any] = {
        "name": "fixed",
        "method": "fixed",
        "shares": dict(zip(owners, split, strict=True)),
    }
    if sum(split) < 1:
        fixed["remainder"] = "unattributed"
    catalogue.append(with_match(fixed, draw(predicate)))
    catalogue.append(with_match({"name": "revenue", "method": "revenue"}, draw(predicate)))
    following: dict[str, Any] = {
        "name": "taxes-and-credits",
        "method": "proportional_to_cost",
        "match": "charge_category in ('Tax', 'Credit')",
    }
    if draw(st.booleans()):
        following["basis"] = "charge_category = 'Usage'"
    catalogue.append(following)

    order = draw(st.permutations(range(len(catalogue))))
    rules = [dict(catalogue[index]) for index in order[: draw(_rich_first(2, len(catalogue)))]]
    if scenario.days > 1 and draw(st.booleans()):
        late = draw(st.integers(0, len(rules) - 1))
        day = draw(st.integers(1, scenario.days - 1))
        rules[late]["effective_from"] = START.date() + dt.timedelta(days=day)
    return rules


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    # Three days (2024-01-30 to 02-01) cross the month boundary; so do four and five.
    days = draw(st.sampled_from((3, 5, 1, 4, 2)))
    customers = draw(_customers(days))
    services = draw(st.lists(st.sampled_from(sorted(SERVICES)), min_size=1, max_size=3, unique=True))
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=2, unique=True))
    charges = draw(_charges(days, services, accounts, customers))
    ids = [customer.customer_id for customer in customers]
    usage = []
    for _ in range(draw(_rich_first(0, 14))):
        service = draw(st.sampled_from(services))
        usage.append(
            (
                START.date() + dt.timedelta(days=draw(st.integers(0, days - 1))),
                draw(st.sampled_from([*ids, *ids, None])),
                SERVICES[service][1],
                Decimal(draw(st.integers(0, 4000))) / 4,
                service,
                draw(st.sampled_from((None, *REGIONS))),
            )
        )
    months = sorted(
        {(START + dt.timedelta(days=offset)).strftime("%Y-%m") for offset in range(days)}
    )
    keys = draw(
        st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(months)), max_size=8, unique=True)
    )
    revenue = [
        (customer, month, Decimal(draw(st.integers(0, 100_000))) / 100) for customer, month in keys
    ]
    scenario = Scenario(days, customers, charges, usage, revenue)
    scenario.rules = draw(_rules(scenario, services, accounts))
    return scenario


def write_input(scenario: Scenario, input_dir: Path) -> None:
    """The scenario as an input folder (allocation.yml included)."""
    (input_dir / "billing").mkdir(parents=True)
    (input_dir / "usage").mkdir()
    with open(input_dir / "billing" / "x.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "BillingAccountId", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd",
                "ChargeCategory", "EffectiveCost", "BilledCost", "ServiceName", "ServiceCategory",
                "RegionId", "ResourceId", "Tags", "CommitmentDiscountStatus",
            ]
        )
        for charge in scenario.charges:
            tags = json.dumps({charge.tag_key: charge.tag_value}) if charge.tag_key else ""
            writer.writerow(
                [
                    charge.account, "USD", _iso(charge.start), _iso(charge.end), charge.category,
                    _money(charge.cost), _money(charge.cost), charge.service,
                    SERVICES[charge.service][0], charge.region, charge.resource, tags,
                    "Unused" if charge.unused else "",
                ]
            )
    with open(input_dir / "usage" / "u.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["usage_date", "customer_id", "metric", "quantity", "service_name", "region_id"]
        )
        for day, customer, metric, quantity, service, region in scenario.usage:
            writer.writerow(
                [day.isoformat(), customer or "", metric, _money(quantity), service, region or ""]
            )
    with open(input_dir / "customers.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer_id", "customer_name", "segment", "region", "active_from", "active_to"]
        )
        for customer in scenario.customers:
            writer.writerow(
                [
                    customer.customer_id,
                    f"Customer {customer.customer_id[1:]}",
                    customer.segment,
                    "us",
                    customer.active_from.isoformat() if customer.active_from else "",
                    customer.active_to.isoformat() if customer.active_to else "",
                ]
            )
    with open(input_dir / "revenue.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "month", "revenue", "currency"])
        for customer, month, amount in scenario.revenue:
            writer.writerow([customer, month, _money(amount), "USD"])
    (input_dir / "allocation.yml").write_text(
        yaml.safe_dump({"customer_tag_key": "customer_id", "rules": scenario.rules}, sort_keys=False)
    )


def prorated_by_day(charges: list[Charge]) -> dict[dt.date, Fraction]:
    """Each charge split over the UTC days it overlaps, by overlap duration (exact fractions)."""
    by_day: dict[dt.date, Fraction] = defaultdict(Fraction)
    for charge in charges:
        total = (charge.end - charge.start).total_seconds()
        day = charge.start.date()
        while True:
            day_start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            day_end = day_start + dt.timedelta(days=1)
            overlap = (min(day_end, charge.end) - max(day_start, charge.start)).total_seconds()
            if overlap <= 0:
                break
            by_day[day] += Fraction(charge.cost) * Fraction(int(overlap), int(total))
            day += dt.timedelta(days=1)
    return dict(by_day)


def check_conservation(scenario: Scenario, warehouse: Path) -> None:
    bill = sum((charge.cost for charge in scenario.charges), Decimal(0))
    rows = query(
        warehouse,
        "select cost_date, allocated_cost from marts.customer_costs_daily"
        " union all select cost_date, unattributed_cost from marts.unattributed_costs_daily",
    )
    assert all(cost_date is not None for cost_date, _cost in rows)
    output = sum((Decimal(cost) for _day, cost in rows), Decimal(0))
    assert output == bill, f"allocated + unattributed = {output}, the bill is {bill}"
    output_by_day: dict[dt.date, Decimal] = defaultdict(Decimal)
    for cost_date, cost in rows:
        output_by_day[cost_date] += Decimal(cost)
    expected_by_day = prorated_by_day(scenario.charges)
    assert set(output_by_day) <= set(expected_by_day)
    for day, expected in sorted(expected_by_day.items()):
        wanted = Decimal(expected.numerator) / Decimal(expected.denominator)
        got = output_by_day.get(day, Decimal(0))
        assert abs(got - wanted) <= RELATIVE_TOLERANCE * abs(wanted) + ROUNDING_SLACK, (
            f"{day}: allocated + unattributed = {got}, the input prorated to the day is {wanted}"
        )


def check_shares(warehouse: Path) -> None:
    methods = ", ".join(f"'{method}'" for method in NON_NEGATIVE_METHODS)
    negative = query(
        warehouse,
        "select pool_id, customer_id, allocation_method, allocation_share"
        f" from marts.customer_costs_daily where allocation_method in ({methods})"
        " and (allocation_share < 0 or allocation_share is null)",
    )
    assert negative == [], f"negative shares in the ledger: {negative}"
    pools = query(
        warehouse,
        "select ledger.pool_id, pools.allocation_method, sum(ledger.allocation_share),"
        " sum(abs(ledger.allocation_share)), min(ledger.allocation_share)"
        " from intermediate.int_costs_allocated as ledger"
        " inner join intermediate.int_cost_pools as pools on ledger.pool_id = pools.pool_id"
        " group by 1, 2",
    )
    for pool_id, method, total, gross, smallest in pools:
        if method == COST_FOLLOWING_METHOD and smallest < 0:
            # Credits placed directly make some customers' basis negative: their shares still
            # add up to 1, but only to within the rounding of the larger terms.
            assert abs(total - 1) <= SHARE_TOLERANCE * gross, (pool_id, method, total, gross)
            continue
        assert smallest >= 0, (pool_id, method, smallest)
        assert abs(total - 1) <= SHARE_TOLERANCE, f"pool {pool_id} ({method}) shares add up to {total}"


def check_charge_days_accounted(warehouse: Path) -> None:
    charge_days = query(
        warehouse,
        "select days.charge_id, days.cost_date, days.effective_cost, candidates.pool_id"
        " from intermediate.int_charge_days_matched as days"
        " left join intermediate.int_cost_candidates as candidates"
        " on days.candidate_id = candidates.candidate_id"
        " where days.effective_cost <> 0",
    )
    assert charge_days, "no charge-day with a cost"
    pools = dict(query(warehouse, "select pool_id, pool_cost from intermediate.int_cost_pools"))
    ledger: dict[str, Decimal] = defaultdict(Decimal)
    for pool_id, cost in query(
        warehouse, "select pool_id, allocated_cost from intermediate.int_costs_allocated"
    ):
        ledger[pool_id] += Decimal(cost)
    for charge_id, cost_date, cost, pool_id in charge_days:
        assert pool_id is not None, f"{charge_id} on {cost_date} ({cost}) has no candidate"
        assert pool_id in pools, f"{charge_id} on {cost_date}: pool {pool_id} does not exist"
        assert pool_id in ledger, f"{charge_id} on {cost_date}: pool {pool_id} has no ledger row"
    for pool_id, pool_cost in pools.items():
        assert ledger.get(pool_id) == Decimal(pool_cost), (
            f"pool {pool_id}: ledger rows add up to {ledger.get(pool_id)}, the pool is {pool_cost}"
        )
    candidates_total = sum((Decimal(row[2]) for row in charge_days), Decimal(0))
    assert sum(pools.values(), Decimal(0)) == candidates_total


def check_customers(scenario: Scenario, warehouse: Path) -> None:
    seen = {row[0] for row in query(
        warehouse, "select distinct customer_id from marts.customer_costs_daily"
    )}
    assert seen <= scenario.customer_ids, f"unknown customers in the ledger: {seen - scenario.customer_ids}"
    ghost_rows = query(
        warehouse,
        "select ledger.customer_id, ledger.unattributed_reason, ledger.allocated_cost"
        " from intermediate.int_costs_allocated as ledger"
        " inner join intermediate.int_cost_pools as pools on ledger.pool_id = pools.pool_id"
        f" where pools.allocation_method = 'tag' and lower(pools.pool_customer_tag) = '{GHOST}'",
    )
    assert all(row[0] is None and row[1] == "unknown_customer" for row in ghost_rows), ghost_rows
    # With an unrestricted tag rule first, every ghost-tagged charge lands there, to the cent.
    first = scenario.rules[0]
    if first["method"] == "tag" and "effective_from" not in first:
        expected = sum(
            (
                charge.cost
                for charge in scenario.charges
                if charge.tag_value == GHOST and not (charge.unused and first.get("match"))
            ),
            Decimal(0),
        )
        assert sum((Decimal(row[2]) for row in ghost_rows), Decimal(0)) == expected


def describe(scenario: Scenario) -> str:
    return (
        f"{scenario.days} days, {len(scenario.customers)} customers, {len(scenario.charges)} charges,"
        f" {len(scenario.usage)} usage rows, rules: "
        + " > ".join(f"{rule['name']}" for rule in scenario.rules)
    )


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    # Each example is a full build: shrinking would rebuild hundreds of times.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_allocation_conserves_and_places_only_known_customers(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("allocation-property")
    input_dir = root / "input"
    write_input(scenario, input_dir)
    note(f"{describe(scenario)}; input in {input_dir}")
    warehouse = root / "warehouse.duckdb"
    build_ok(input_dir, warehouse, "--rules", str(input_dir / "allocation.yml"), "--quiet")
    check_conservation(scenario, warehouse)
    check_shares(warehouse)
    check_charge_days_accounted(warehouse)
    check_customers(scenario, warehouse)
