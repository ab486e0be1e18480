"""Every provider format in one input folder: AWS CUR (legacy sample and CUR 2.0), Azure (EA
sample in CAD, MCA actual + amortized in EUR), GCP (JSON lines and CSV) and OCI build end to end,
converted to USD, and every dollar is on a customer, unattributed with a reason, or quarantined.

The expected figures per format are the hand-computed ones in each fixture's NOTICE.md (every
readable EffectiveCost, quarantined rows included), not read back from the pipeline."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from conftest import FIXTURES, build_ok, query

PROVIDERS = FIXTURES / "provider_exports"
RATES = {"EUR": Decimal("1.08"), "CAD": Decimal("0.74")}
#: (format, currency) -> EffectiveCost of every readable counted row, from the fixtures' NOTICEs.
EXPECTED = {
    ("aws_cur", "USD"): Decimal("1.6823086974") + Decimal("51.27"),
    ("azure", "CAD"): Decimal("1.2613692651"),
    ("azure", "EUR"): Decimal("41.54"),
    ("gcp", "USD"): Decimal("15.42"),
    ("oci", "USD"): Decimal("2.70"),
}


def _input(tmp_path: Path, with_rates: bool) -> Path:
    input_dir = tmp_path / "input"
    for folder in ("aws-cur-legacy", "aws-cur2", "azure-ea", "azure-mca", "gcp", "oci"):
        shutil.copytree(
            PROVIDERS / folder, input_dir / "billing" / folder, ignore=shutil.ignore_patterns("*.md")
        )
    (input_dir / "customers.csv").write_text(
        "customer_id,customer_name,segment\nacme,Acme,enterprise\nglobex,Globex,smb\n"
        "initech,Initech,smb\n"
    )
    if with_rates:
        lines = ["date,currency,rate"]
        for start in (date(2023, 8, 25), date(2024, 2, 25)):
            for offset in range(0, 50, 3):  # every third day: gaps within the 7-day limit
                day = start + timedelta(days=offset)
                lines += [f"{day},{currency},{rate}" for currency, rate in RATES.items()]
        (input_dir / "fx_rates.csv").write_text("\n".join(lines) + "\n")
    return input_dir


def test_every_provider_format_builds_converts_and_conserves(tmp_path: Path) -> None:
    input_dir = _input(tmp_path, with_rates=True)
    warehouse = tmp_path / "warehouse.duckdb"
    build_ok(input_dir, warehouse)

    staged = {
        (fmt, currency): Decimal(total)
        for fmt, currency, total in query(
            warehouse,
            "select billing_format, billing_currency, sum(effective_cost)"
            " from intermediate.int_charges_deduplicated"
            " where superseded_reason is null group by 1, 2",
        )
    }
    assert staged == EXPECTED

    expected_usd = sum(
        amount * RATES.get(currency, Decimal(1)) for (_, currency), amount in EXPECTED.items()
    )
    allocated, unattributed, currencies = query(
        warehouse,
        "select (select sum(allocated_cost) from marts.customer_costs_daily),"
        " (select sum(unattributed_cost) from marts.unattributed_costs_daily),"
        " (select string_agg(distinct currency) from marts.customer_costs_daily)",
    )[0]
    assert currencies == "USD"
    assert abs(Decimal(allocated) + Decimal(unattributed) - expected_usd) < Decimal("1e-6")

    # Tags from every format reach the ledger: each tagged customer has cost.
    customers = {row[0] for row in query(
        warehouse, "select distinct customer_id from marts.customer_costs_daily"
    )}
    assert {"acme", "globex"} <= customers
    # Azure: the amortized export counts, the actual one only for its commitment purchases.
    superseded = dict(query(
        warehouse,
        "select superseded_reason, count(*) from marts.superseded_billing_rows group by 1",
    ))
    assert set(superseded) == {"amortized_export_preferred"}
    # Bad rows of the GCP and OCI fixtures are quarantined with the provider's column names.
    reasons = {row[0] for row in query(
        warehouse, "select quarantine_reason from marts.quarantined_rows where input_name = 'billing'"
    )}
    assert any("credits" in reason for reason in reasons)
    assert any("lineItem/interval" in reason for reason in reasons)
    periods = query(
        warehouse, "select billing_format, count(*) from marts.billing_periods group by 1 order by 1"
    )
    assert [fmt for fmt, _ in periods] == ["aws_cur", "azure", "gcp", "oci"]

