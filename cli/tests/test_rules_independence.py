"""Editing the rules of allocation.yml leaves the first half of the pipeline alone: every model up
to the charge-days (staging, billing, the Kubernetes split, surcharges, currency, charge_days)
compiles to the same SQL whatever the rules, so only the models from rules/ on need rebuilding.
The charge-days are kept day by day, so they also read which days to process (reprocessing/),
and those models do read the rules: a rule change allocates again the days it covers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from cpc import PROJECT_DIR
from cpc.rules import load_rules

OTHER_RULES = """\
rules:
  - name: team-platform
    method: even
    match: tag('team') = 'platform' and charge_category = 'Usage'
  - name: by-requests
    method: usage
    metric: api_requests
  - name: enterprise-support
    method: weighted
    weights: {segment: {enterprise: 3}}
    match: service_category = 'Compute'
  - name: the-rest
    method: proportional_to_cost
"""


def _compiled(vars_: dict[str, object], tmp_path: Path, name: str) -> dict[str, str]:
    """Compile the charge-days and everything upstream, plus int_charge_days_matched:
    {model path under models/: compiled SQL}."""
    target_path = tmp_path / name
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "compile",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target", "duckdb", "--target-path", str(target_path), "--log-path", str(tmp_path / "logs"),
            "--no-populate-cache", "--no-introspect", "--quiet", "--vars", json.dumps(vars_),
            "--select", "+int_charges_prorated", "int_charge_days_matched",
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=PROJECT_DIR,
        env={"CPC_WAREHOUSE": str(tmp_path / "unused.duckdb"), "PATH": str(Path(sys.executable).parent),
             "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    compiled = target_path / "compiled" / "cost_per_customer" / "models"
    return {path.relative_to(compiled).as_posix(): path.read_text() for path in sorted(compiled.rglob("*.sql"))}


def test_charge_days_do_not_depend_on_the_rules(tmp_path: Path) -> None:
    rules_file = tmp_path / "allocation.yml"
    rules_file.write_text(textwrap.dedent(OTHER_RULES))
    default = _compiled(load_rules(None).to_dbt_vars(), tmp_path, "default")
    other = _compiled(load_rules(rules_file).to_dbt_vars(), tmp_path, "other")
    assert default.keys() == other.keys()
    assert {"intermediate/charge_days/int_charges_prorated.sql", "intermediate/surcharges/int_surcharges.sql",
            "staging/focus/stg_focus__charges.sql"} <= default.keys()
    # The rule matches do change with the rules (so the comparison below has something to see) ...
    assert (default.pop("intermediate/rules/int_charge_days_matched.sql")
            != other.pop("intermediate/rules/int_charge_days_matched.sql"))
    # ... and so do the fingerprints of the days, which decide the days to process: the rules in
    # effect on each day, and the rule recipients (a rule's recipients count on the days it is in
    # effect) ...
    deciding = ["intermediate/reprocessing/int_days_fingerprinted.sql", "intermediate/drivers/int_rule_recipients_daily.sql"]
    assert [name for name in deciding if default[name] != other[name]] == deciding
    # ... and nothing else upstream of them.
    changed = [name for name in default if default[name] != other[name] and name not in deciding]
    assert changed == []
