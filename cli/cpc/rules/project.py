"""The enumerations and defaults written once, in dbt_project.yml's vars, as Python constants.

SQL reads the same values with ``var(...)`` and the YAML tests with ``values: "{{ var(...) }}"``,
so the CLI validates allocation.yml against exactly the lists the models use.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from cpc import PROJECT_DIR

#: The file holding the project variables.
DBT_PROJECT_FILE = PROJECT_DIR / "dbt_project.yml"


@functools.cache
def project_vars() -> dict[str, Any]:
    """The ``vars:`` of dbt_project.yml (read once)."""
    with DBT_PROJECT_FILE.open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["vars"])


def _strings(name: str) -> tuple[str, ...]:
    """A project variable holding a list of names, as a tuple."""
    return tuple(str(item) for item in project_vars()[name])


#: The project's cost categories in report order (var cpc_cost_categories); a surcharge's
#: ``category`` is one.
COST_CATEGORIES: tuple[str, ...] = _strings("cpc_cost_categories")

#: Allocation methods, in the order they are documented (var cpc_allocation_methods).
METHODS: tuple[str, ...] = _strings("cpc_allocation_methods")

#: Why cost stays unattributed, by the step that decides it (var cpc_unattributed_reasons).
UNATTRIBUTED_REASONS: dict[str, tuple[str, ...]] = {
    str(step): tuple(reasons) for step, reasons in project_vars()["cpc_unattributed_reasons"].items()
}

#: The ``kubernetes:`` settings and their defaults (vars cpc_kubernetes_*): OpenCost's default CPU
#: and RAM prices and idle kept unattributed.
KUBERNETES_DEFAULTS: dict[str, Any] = {
    "cpu_hourly_price": float(project_vars()["cpc_kubernetes_cpu_hourly_price"]),
    "ram_gib_hourly_price": float(project_vars()["cpc_kubernetes_ram_gib_hourly_price"]),
    "share_idle": str(project_vars()["cpc_kubernetes_share_idle"]),
}

#: What ``kubernetes: share_idle`` accepts (var cpc_kubernetes_share_idle_modes).
SHARE_IDLE_MODES: tuple[str, ...] = _strings("cpc_kubernetes_share_idle_modes")

#: Days a published exchange rate is carried forward when the file does not say
#: (var cpc_fx_max_gap_days).
DEFAULT_FX_MAX_GAP_DAYS: int = int(project_vars()["cpc_fx_max_gap_days"])

#: The share of a month's bill that may stay unattributed before a build warns, when the file does
#: not say (var cpc_max_unattributed_share).
DEFAULT_MAX_UNATTRIBUTED_SHARE: float = float(project_vars()["cpc_max_unattributed_share"])

#: Days before the input's latest day within which changed telemetry is allocated again by an
#: incremental build, when the file does not say (``incremental: {lookback_days}``; var
#: cpc_lookback_days).
DEFAULT_LOOKBACK_DAYS: int = int(project_vars()["cpc_lookback_days"])

#: The ``reconciliation:`` settings and their defaults (vars cpc_reconciliation_*): the relative
#: tolerance beyond which telemetry and the bill drift apart, and the billed unit each telemetry
#: metric is counted in (none: no metric is compared).
RECONCILIATION_DEFAULTS: dict[str, Any] = {
    "tolerance": float(project_vars()["cpc_reconciliation_tolerance"]),
    "units": dict(project_vars()["cpc_reconciliation_units"] or {}),
}
