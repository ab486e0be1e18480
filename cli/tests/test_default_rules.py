"""The built-in rules (no allocation.yml) on the worked example of docs/allocation.md, "Default
rules": a tax billed on a service that has telemetry follows the cost already placed that day on
its billing account, not the service's usage."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from conftest import build_ok, query

DAY = "2024-03-05"
BILLING_COLUMNS = [
    "BillingAccountId", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "EffectiveCost", "BilledCost", "ServiceName", "ServiceCategory", "ResourceId", "Tags",
]
#: (service, category, charge category, resource, cost, customer tag)
CHARGES = [
    ("EC2", "Compute", "Usage", "i-acme", "100", "acme"),
    ("S3", "Storage", "Usage", "bucket-globex", "50", "globex"),
    ("EC2", "Compute", "Usage", "i-shared", "90", None),
    ("EC2", "Compute", "Tax", None, "24", None),
]


def _write_input(input_dir: Path) -> None:
    (input_dir / "billing").mkdir(parents=True)
    (input_dir / "usage").mkdir()
    with open(input_dir / "billing" / "march.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BILLING_COLUMNS)
        for service, category, charge_category, resource, cost, tag in CHARGES:
            tags = f'{{"customer_id": "{tag}"}}' if tag else ""
            writer.writerow(["A", "USD", f"{DAY}T00:00:00Z", "2024-03-06T00:00:00Z", charge_category, cost, cost,
                             service, category, resource or "", tags])
    with open(input_dir / "usage" / "cpu.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["usage_date", "customer_id", "metric", "quantity", "service_name"])
        writer.writerow([DAY, "acme", "cpu_core_hours", "1", "EC2"])
        writer.writerow([DAY, "globex", "cpu_core_hours", "2", "EC2"])
    with open(input_dir / "customers.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "customer_name", "segment"])
        writer.writerow(["acme", "Acme", "enterprise"])
        writer.writerow(["globex", "Globex", "smb"])


def test_a_tax_on_a_service_with_telemetry_follows_the_cost_placed(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    _write_input(input_dir)
    warehouse = tmp_path / "w.duckdb"
    build_ok(input_dir, warehouse, "--quiet")

    ledger = query(warehouse, "select charge_category, rule_name, customer_id, sum(allocated_cost)"
                              " from marts.customer_costs_daily group by all order by all")
    assert ledger == [
        # The untagged EC2 usage splits 1 : 2 by cpu_core_hours.
        ("Tax", "taxes-and-credits", "acme", Decimal(13)),  # 24 x 130 / 240
        ("Tax", "taxes-and-credits", "globex", Decimal(11)),  # 24 x 110 / 240
        ("Usage", "tagged", "acme", Decimal(100)),
        ("Usage", "tagged", "globex", Decimal(50)),
        ("Usage", "usage-by-service", "acme", Decimal(30)),
        ("Usage", "usage-by-service", "globex", Decimal(60)),
    ]
    unattributed = query(warehouse, "select coalesce(sum(unattributed_cost), 0) from marts.unattributed_costs_daily")
    assert unattributed == [(Decimal(0),)]
