"""Currency conversion end to end on DuckDB: a bill with a USD and a EUR billing account, EUR
support rates and an fx_rates.csv (EUR -> USD) with a weekend gap. Every amount reaches the marts
in USD, equal to a conversion computed here in Python; without fx_rates.csv the build fails with
one line naming the test and the currency. The input is hand-written for these tests."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import build_ok, query, run_cpc
from cpc.errors import UserError
from cpc.rules import default_rules, diff_rules, load_rules

TEN_DECIMALS = Decimal("1e-10")

#: EUR -> USD, published on Friday 2024-03-01 and Monday 2024-03-04: the weekend takes Friday's
#: rate. Twelve decimals, so that converted amounts must be rounded to ten.
FX_RATES = {"2024-03-01": Decimal("1.085123456789"), "2024-03-04": Decimal("1.090987654321")}

BILLING_HEADER = [
    "BillingAccountId", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "BilledCost", "EffectiveCost", "ListCost", "ServiceName", "ServiceCategory", "RegionId",
    "ResourceId", "Tags",
]

#: (account, currency, start, end, cost, customer tag). Multi-day charges split by hours into
#: whole cents, so the prorated days are exact and only the conversion rounds.
CHARGES = [
    ("us-1", "USD", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "12.34", "acme"),
    ("us-1", "USD", "2024-03-01T12:00:00Z", "2024-03-04T12:00:00Z", "36.00", "globex"),
    ("eu-1", "EUR", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "10.01", "acme"),
    # Friday noon to Monday noon: 6.00 on Friday, 12.00 on Saturday and Sunday, 6.00 on Monday.
    ("eu-1", "EUR", "2024-03-01T12:00:00Z", "2024-03-04T12:00:00Z", "36.00", "globex"),
    ("eu-1", "EUR", "2024-03-03T00:00:00Z", "2024-03-04T00:00:00Z", "7.77", None),
]

#: A EUR row whose end is unreadable: quarantined, its cost converted at its start day's rate.
QUARANTINED = ("eu-1", "EUR", "2024-03-02T00:00:00Z", "not a time", "5.55", "acme")

#: EUR support: 45 minutes at 50 EUR/h on Saturday (37.50 EUR at Friday's rate).
SUPPORT_TICKET = ("T1", "acme", "2024-03-02T10:00:00Z", "45", "europe")


RULES = "rules:\n  - name: tagged\n    method: tag\n"


def test_reporting_currency_and_gap_reach_dbt(tmp_path: Path) -> None:
    path = tmp_path / "allocation.yml"
    path.write_text("reporting_currency: eur\nfx_max_gap_days: 3\n" + RULES)
    ruleset = load_rules(path)
    dbt_vars = ruleset.to_dbt_vars()
    assert (dbt_vars["cpc_reporting_currency"], dbt_vars["cpc_fx_max_gap_days"]) == ("EUR", 3)
    assert type(dbt_vars["cpc_fx_max_gap_days"]) is int
    defaults = default_rules().to_dbt_vars()
    assert (defaults["cpc_reporting_currency"], defaults["cpc_fx_max_gap_days"]) == (None, 7)
    plain = tmp_path / "plain.yml"
    plain.write_text(RULES)
    assert diff_rules(load_rules(plain), ruleset) == [
        "reporting_currency changed: default -> EUR",
        "fx_max_gap_days changed: 7 -> 3",
    ]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("reporting_currency: 978\n", "reporting_currency must be a three-letter currency code"),
        ("reporting_currency: euro\n", "reporting_currency 'euro' is not a three-letter currency code"),
        ("fx_max_gap_days: -1\n", "fx_max_gap_days must be between 0 and 366 days, got -1"),
        ("fx_max_gap_days: 2.5\n", "fx_max_gap_days must be a whole number of days, not '2.5'"),
        ("fx_max_gap_days: yes\n", "fx_max_gap_days must be a whole number of days, not true/false"),
        ("fx_max_gap_day: 3\n", "did you mean 'fx_max_gap_days'"),
    ],
)
def test_bad_currency_settings_fail_with_one_line(tmp_path: Path, settings: str, expected: str) -> None:
    path = tmp_path / "allocation.yml"
    path.write_text(settings + RULES)
    with pytest.raises(UserError) as caught:
        load_rules(path)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def write_input(root: Path, *, with_fx_rates: bool = True) -> Path:
    """Write the input folder (and fx_rates.csv unless told not to)."""
    (root / "billing").mkdir(parents=True)
    with (root / "billing" / "charges.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BILLING_HEADER)
        for account, currency, start, end, cost, customer in [*CHARGES, QUARANTINED]:
            tags = f'{{"customer_id": "{customer}"}}' if customer else ""
            writer.writerow([account, currency, start, end, "Usage", cost, cost, cost,
                             "Amazon EC2", "Compute", "eu-west-1", "i-1", tags])
    (root / "customers.csv").write_text(
        "customer_id,customer_name,segment\nacme,Acme,enterprise\nglobex,Globex,smb\n"
    )
    (root / "support_rates.csv").write_text("agent_tier,hourly_rate,currency\neurope,50,EUR\n")
    (root / "support_tickets.csv").write_text(
        "ticket_id,customer_id,opened_at,handle_minutes,agent_tier\n" + ",".join(SUPPORT_TICKET) + "\n"
    )
    (root / "revenue.csv").write_text(
        "customer_id,month,revenue,currency\nacme,2024-03,1000.00,EUR\nglobex,2024-03,250.00,USD\n"
    )
    if with_fx_rates:
        (root / "fx_rates.csv").write_text(
            "date,currency,rate\n" + "".join(f"{day},EUR,{rate}\n" for day, rate in FX_RATES.items())
        )
    return root


def eur_rate(day: str) -> Decimal:
    """The rate of a day: its own, else the last earlier one (the weekend takes Friday's)."""
    return FX_RATES[max(published for published in FX_RATES if published <= day)]


def to_usd(amount: Decimal, currency: str, day: str) -> Decimal:
    if currency == "USD":
        return amount
    return (amount * eur_rate(day)).quantize(TEN_DECIMALS, rounding=ROUND_HALF_UP)


def charge_days(start: str, end: str, cost: Decimal) -> list[tuple[str, Decimal]]:
    """The UTC days of [start, end) with their share of the cost (whole hours, exact here)."""
    begin = datetime.fromisoformat(start)
    finish = datetime.fromisoformat(end)
    hours = Decimal(int((finish - begin).total_seconds() // 3600))
    days = []
    day = begin.replace(hour=0)
    while day < finish:
        overlap = min(finish, day + timedelta(days=1)) - max(begin, day)
        days.append((day.date().isoformat(), cost * Decimal(int(overlap.total_seconds() // 3600)) / hours))
        day += timedelta(days=1)
    return days


def expected_usd() -> tuple[dict[str, Decimal], Decimal]:
    """Per customer, and unattributed, the bill in USD converted day by day here in Python."""
    customers: dict[str, Decimal] = {}
    unattributed = Decimal(0)
    for _account, currency, start, end, cost, customer in CHARGES:
        for day, amount in charge_days(start, end, Decimal(cost)):
            usd = to_usd(amount, currency, day)
            if customer:
                customers[customer] = customers.get(customer, Decimal(0)) + usd
            else:
                unattributed += usd
    unattributed += to_usd(Decimal(QUARANTINED[4]), "EUR", QUARANTINED[2][:10])
    ticket_eur = Decimal(SUPPORT_TICKET[3]) / 60 * 50
    customers["acme"] += to_usd(ticket_eur, "EUR", SUPPORT_TICKET[2][:10])
    return customers, unattributed


def test_two_currencies_convert_to_usd_day_by_day(tmp_path: Path) -> None:
    input_dir = write_input(tmp_path / "input")
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(input_dir, warehouse)
    customers, unattributed = expected_usd()
    placed = dict(query(
        warehouse, "select customer_id, sum(allocated_cost) from marts.customer_costs_daily group by 1"
    ))
    assert placed == customers
    left = query(warehouse, "select sum(unattributed_cost) from marts.unattributed_costs_daily")[0][0]
    assert left == unattributed
    currencies = query(
        warehouse,
        "select distinct currency from marts.customer_costs_daily union select distinct currency"
        " from marts.unattributed_costs_daily union select distinct currency"
        " from marts.customer_costs_monthly",
    )
    assert currencies == [("USD",)]
    # The weekend's EUR days took Friday's rate, and the source amounts are kept beside.
    weekend = query(
        warehouse,
        "select distinct cost_date, fx_rate, fx_rate_date from intermediate.int_charges_prorated"
        " where source_currency = 'EUR' and cost_date in (date '2024-03-02', date '2024-03-03')",
    )
    # Revenue in euros converts at March's average daily rate (1000 EUR), dollars as they are.
    revenue = dict(query(warehouse, "select customer_id, revenue from marts.customer_costs_monthly"))
    assert abs(revenue["acme"] - Decimal(1000) * march_average_rate()) < Decimal("1e-6")
    assert revenue["globex"] == Decimal(250)
    assert {(day.isoformat(), rate, published.isoformat()) for day, rate, published in weekend} == {
        ("2024-03-02", FX_RATES["2024-03-01"], "2024-03-01"),
        ("2024-03-03", FX_RATES["2024-03-01"], "2024-03-01"),
    }


def march_average_rate() -> Decimal:
    """The mean rate over March's days that have one: the 1st to 3rd take Friday's rate, the 4th
    its own, carried to the 11th (fx_max_gap_days 7); later days have none."""
    days = [f"2024-03-{day:02d}" for day in range(1, 12)]
    return sum((eur_rate(day) for day in days), Decimal(0)) / len(days)


def test_a_bill_in_euros_without_rates_fails_naming_the_currency(tmp_path: Path) -> None:
    input_dir = write_input(tmp_path / "input", with_fx_rates=False)
    # Only the bill is in euros: revenue and support rates without a rate would fail their own
    # checks first (the days to allocate read them, and the charge-days those days).
    for name in ("revenue.csv", "support_rates.csv"):
        (input_dir / name).write_text((input_dir / name).read_text().replace(",EUR\n", ",USD\n"))
    done = run_cpc(
        "build", "--input", str(input_dir), "--warehouse", str(tmp_path / "w.duckdb"), "--quiet"
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt build failed")
    assert "assert_charges_have_fx_rates" in last
    assert "EUR" in last
    assert "Traceback" not in done.stderr
