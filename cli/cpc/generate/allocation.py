"""The demo allocation rules (allocation.yml) that go with the generated data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cpc.generate.company import ACCOUNTS, DATA_RESIDENCY_RATE, DATA_RESIDENCY_REGION, REGIONS
from cpc.generate.kubernetes import K8S_CPU_PRICE, K8S_RAM_PRICE, K8S_SHARE_IDLE
from cpc.generate.world import World

if TYPE_CHECKING:
    from cpc.generate.files import Writer

ALLOCATION_YML = """\
# Demo allocation rules for the generated data set (written by `cpc generate`); every method once.
# For each charge-day, rules are tried top to bottom: the first whose `match` holds, that is in
# effect that day and that can place the cost wins. `match` is SQL over snake_case FOCUS columns.
customer_tag_key: customer_id
# The EU account is invoiced in EUR: fx_rates.csv converts it, per day, to the reporting currency.
reporting_currency: USD
# The Kubernetes nodes' cost splits among namespaces (k8s_usage/, k8s_namespaces.csv) before the
# rules: CPU and RAM at OpenCost's default prices, each workload by max(request, usage). Idle
# capacity stays visible as unattributed (like unused commitment), and so does `monitoring`.
kubernetes:
  cpu_hourly_price: {k8s_cpu_price}
  ram_gib_hourly_price: {k8s_ram_price}
  share_idle: {k8s_share_idle}
# What runs in the EU carries a data-residency premium the company books on top of the bill (a
# surcharge: a charge of its own beside each EU charge, which follows that charge's allocation).
surcharges:
  - name: eu-data-residency
    match: "region_id = '{residency_region}'"
    rate: {residency_rate}
    category: security
# Telemetry reconciled with the bill (telemetry_bill_reconciliation): egress and function time are
# metered in the bill's own units. CPU core-hours are not instance hours, stored GB are not GB-months,
# and the monthly log row spreads its GB evenly over the month's days, so those are not compared.
reconciliation:
  tolerance: 0.1
  units:
    egress_gb: GB
    lambda_gb_seconds: GB-Seconds
rules:
  - name: tagged
    method: tag
  # Costs outside the cloud bill (other_costs.csv): one naming its customer is placed on it before
  # any rule; engineering follows revenue, the shared platform pool is split evenly.
  - name: engineering-by-revenue
    match: "category = 'engineering'"
    method: revenue
  - name: platform-pool-evenly
    match: "pool = 'platform'"
    method: even
  - name: compute-by-cpu
    match: >-
      service_name = 'Amazon Elastic Compute Cloud'
      and (commitment_discount_status is null or commitment_discount_status <> 'Unused')
    method: usage
    metric: cpu_core_hours
  - name: databases-by-db-cpu
    match: "service_name = 'Amazon Relational Database Service'"
    method: usage
    metric: db_cpu_seconds
  - name: storage-by-gb
    match: "service_name = 'Amazon Simple Storage Service'"
    method: usage
    metric: storage_gb
  # Egress splits by each customer's egress_gb in the charge's region, whichever service
  # reports it (across_services).
  - name: cdn-by-egress
    match: "service_name = 'Amazon CloudFront'"
    method: usage
    metric: egress_gb
    across_services: true
  - name: functions-by-gb-seconds
    match: "service_name = 'AWS Lambda'"
    method: usage
    metric: lambda_gb_seconds
  - name: logs-by-volume
    match: "service_name = 'Amazon CloudWatch'"
    method: usage
    metric: log_gb
  # The EU account's audit trail serves two large EU customers under their contracts.
  - name: eu-audit-trail
    match: "service_name = 'AWS CloudTrail' and billing_account_id = '{eu_account}'"
    method: fixed
    shares: {{{eu_shares}}}
    remainder: unattributed
  # Platform overhead: shared evenly at first, then (a policy change) weighted by segment.
  - name: platform-overhead
    match: "service_name = 'AWS CloudTrail'"
    method: even
    effective_to: {switch_date}
  - name: platform-overhead-weighted
    match: "service_name = 'AWS CloudTrail'"
    method: weighted
    weights:
      segment: {{enterprise: 4, mid-market: 2, smb: 1, free: 0.25}}
    effective_from: {switch_date}
  - name: credits-by-revenue
    match: "charge_category = 'Credit'"
    method: revenue
  - name: taxes-follow-usage
    match: "charge_category in ('Tax', 'Credit')"
    method: proportional_to_cost
    basis: "charge_category = 'Usage'"
"""


def write_allocation(w: World, out_dir: Path, writer: Writer) -> None:
    """allocation.yml: the demo rules, filled in for this world."""
    # The fixed rule's two customers: the largest in the EU region (else the largest overall).
    eu = REGIONS.index(next(r for r in REGIONS if r.account == 1))
    by_size = [int(i) for i in np.argsort(-w.size, kind="stable")]
    chosen = [i for i in by_size if w.region[i] == eu][:2] or by_size[:2]
    fractions = ["0.6", "0.3"] if len(chosen) == 2 else ["0.9"]
    path = out_dir / "allocation.yml"
    path.write_text(
        ALLOCATION_YML.format(
            eu_account=ACCOUNTS[1].billing_id,
            eu_shares=", ".join(f"{w.ids[i]}: {f}" for i, f in zip(chosen, fractions, strict=True)),
            switch_date=(w.start + timedelta(days=w.days // 2)).isoformat(),
            k8s_cpu_price=K8S_CPU_PRICE,
            k8s_ram_price=K8S_RAM_PRICE,
            k8s_share_idle=K8S_SHARE_IDLE,
            residency_region=DATA_RESIDENCY_REGION,
            residency_rate=DATA_RESIDENCY_RATE,
        ),
        encoding="utf-8",
    )
    writer.files.append(path)
