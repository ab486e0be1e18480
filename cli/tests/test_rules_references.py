"""Tests for cpc.rules.check_references (names vs landed data) and cpc.rules.diff_rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cpc.errors import UserError
from cpc.rules import (
    RuleSet,
    check_references,
    default_rules,
    diff_rules,
    load_rules,
    normalize_segment,
)

RULES = """\
rules:
  - name: tagged
    method: tag
  - name: compute-by-cpu
    match: "service_category = 'Compute'"
    method: usage
    metric: cpu_core_hours
  - name: any-metric
    method: usage
  - name: by-segment
    method: weighted
    weights:
      segment: {Enterprise: 3, Mid Market: 1}
    scope: {segments: [smb, enterprise]}
  - name: by-customer
    method: weighted
    weights:
      customer: {ACME: 2}
  - name: support
    method: fixed
    shares: {acme: 0.6, Globex: 0.4}
  - name: platform
    method: revenue
    scope: {customers: [Initech]}
  - name: spread
    method: even
    scope: {customers: [012345]}
  - name: taxes
    method: proportional_to_cost
    basis: "service_category = 'Compute'"
"""

METRICS = {"CPU_Core_Hours", "gb_stored"}
CUSTOMERS = {"acme", "globex", " INITECH ", "012345"}
SEGMENTS = {"Enterprise", "Mid Market", "SMB"}


def write(tmp_path: Path, text: str, name: str = "allocation.yml") -> Path:
    """Write ``text`` to ``tmp_path / name`` and return the path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def ruleset(tmp_path: Path) -> RuleSet:
    """The rules above, loaded."""
    return load_rules(write(tmp_path, RULES))


def reference_error(ruleset: RuleSet, **changes: set[str]) -> str:
    """The one-line message check_references raises with some sets replaced."""
    sets = {"metrics": METRICS, "customers": CUSTOMERS, "segments": SEGMENTS, **changes}
    with pytest.raises(UserError) as info:
        check_references(ruleset, where="in/allocation.yml", **sets)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("in/allocation.yml: rule '")
    return message


# --------------------------------------------------------------------------- check_references


def test_known_names_pass(ruleset: RuleSet) -> None:
    check_references(ruleset, metrics=METRICS, customers=CUSTOMERS, segments=SEGMENTS)


def test_defaults_pass_without_telemetry() -> None:
    check_references(default_rules(), metrics=set(), customers=set(), segments=set())


def test_unknown_metric_lists_known_metrics_and_close_matches(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, metrics={"cpu_core_hour", "gb_stored"})
    assert "rule 'compute-by-cpu': metric 'cpu_core_hours' is not in the telemetry" in message
    assert "did you mean 'cpu_core_hour'?" in message
    assert "known metrics: cpu_core_hour, gb_stored" in message


def test_unknown_metric_lists_at_most_eight(ruleset: RuleSet) -> None:
    metrics = {f"metric_{i:02d}" for i in range(20)}
    message = reference_error(ruleset, metrics=metrics)
    assert "known metrics: metric_00, metric_01" in message
    assert "metric_07, ... (20 in all)" in message
    assert "metric_08" not in message
    assert "did you mean" not in message


def test_metric_without_telemetry(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, metrics=set())
    assert "rule 'compute-by-cpu': metric 'cpu_core_hours'" in message
    assert "there is no telemetry" in message


def test_unknown_customer_in_weights(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, customers={"acmee", "globex", "initech", "012345"})
    assert "rule 'by-customer': customer 'ACME' in weights.customer is not in customers.csv" in (
        message
    )
    assert "did you mean 'acmee'?" in message
    assert "known customers: 012345, acmee, globex, initech" in message


def test_unknown_customer_in_shares(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, customers={"acme", "initech", "012345"})
    assert "rule 'support': customer 'Globex' in shares is not in customers.csv" in message


def test_unknown_customer_in_scope(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, customers={"acme", "globex", "12345"})
    assert "rule 'platform': customer 'Initech' in scope.customers" in message
    message = reference_error(ruleset, customers={"acme", "globex", "initech", "12345"})
    assert "rule 'spread': customer '012345' in scope.customers" in message


def test_no_customers_at_all(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, customers=set())
    assert "rule 'by-customer': customer 'ACME'" in message
    assert "customers.csv has no customers" in message


def test_unknown_segment_in_weights(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, segments={"Enterprise", "SMB", "Midmarket"})
    assert "rule 'by-segment': segment 'mid-market' in weights.segment" in message
    assert "did you mean 'midmarket'?" in message
    assert "known segments: enterprise, midmarket, smb" in message


def test_unknown_segment_in_scope(ruleset: RuleSet) -> None:
    message = reference_error(ruleset, segments={"enterprise", "mid-market"})
    assert "rule 'by-segment': segment 'smb' in scope.segments is not in customers.csv" in message


def test_default_where(ruleset: RuleSet) -> None:
    with pytest.raises(UserError, match=r"^allocation\.yml: rule 'compute-by-cpu'"):
        check_references(ruleset, metrics=set(), customers=CUSTOMERS, segments=SEGMENTS)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("Mid Market", "mid-market"), ("  SMB ", "smb"), ("mid-market", "mid-market")],
)
def test_normalize_segment(raw: str, normalized: str) -> None:
    assert normalize_segment(raw) == normalized


MESSY_CUSTOMERS = """\
customer_id,segment
acme,Mid Market
 Globex ,  SMB  
initech,Enterprise
none,smb
NULL,smb
hooli,nan
umbrella, 
"""

MESSY_USAGE = """\
usage_date,customer_id,metric,quantity,service_name
2024-01-01,acme,CPU_Core_Hours,1,EC2
2024-01-01,acme, egress_GB ,1,EC2
2024-01-01,acme,None,1,EC2
2024-01-01,acme,,1,EC2
2024-01-01,acme,NaN,1,EC2
2024-01-01,acme,Storage GB,1,S3
"""

ONE_CHARGE = """\
BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,\
ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ServiceName,ServiceCategory
1,USD,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,\
Usage,1,1,EC2,Compute
"""


def test_landed_references_are_the_staged_values(tmp_path: Path) -> None:
    """The names `cpc build` checks rules against are the values staging gives the same input,
    and normalize_segment spells a segment the way stg_business__customers does."""
    import duckdb
    from conftest import land_and_stage
    from cpc.build import landed_references

    input_dir = tmp_path / "input"
    (input_dir / "usage").mkdir(parents=True)
    (input_dir / "billing").mkdir()
    (input_dir / "billing" / "focus.csv").write_text(ONE_CHARGE, encoding="utf-8")
    (input_dir / "customers.csv").write_text(MESSY_CUSTOMERS, encoding="utf-8")
    (input_dir / "usage" / "usage.csv").write_text(MESSY_USAGE, encoding="utf-8")
    warehouse = land_and_stage(
        input_dir, tmp_path, "stg_business__customers", "stg_telemetry__usage"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = landed_references(con)

        def staged(column: str, model: str) -> set[str]:
            sql = f"select distinct {column} from staging.{model} where {column} is not null"
            return {row[0] for row in con.execute(sql).fetchall()}

        assert landed["metrics"] == staged("metric", "stg_telemetry__usage")
        assert landed["customers"] == staged("customer_id", "stg_business__customers")
        assert landed["segments"] == staged("segment", "stg_business__customers")
        raw_segments = con.execute(
            "select cast(raw.segment as varchar), staged.segment from cpc_raw.customers as raw"
            " join staging.stg_business__customers as staged"
            " on staged.source_row = raw._source_row where staged.segment is not null"
        ).fetchall()
    assert landed["metrics"] == {"cpu_core_hours", "egress_gb", "storage gb"}
    assert landed["segments"] == {"mid-market", "smb", "enterprise"}
    assert len(raw_segments) == 5
    for raw, segment in raw_segments:
        assert normalize_segment(raw) == segment


# --------------------------------------------------------------------------- diff_rules


def test_no_changes(tmp_path: Path, ruleset: RuleSet) -> None:
    again = load_rules(write(tmp_path, RULES + "# only a comment\n", "again.yml"), dialect="spark")
    assert again.content_hash != ruleset.content_hash
    assert diff_rules(ruleset, again) == []


def test_added_removed_changed_reordered(tmp_path: Path, ruleset: RuleSet) -> None:
    text = (
        RULES.replace("shares: {acme: 0.6, Globex: 0.4}", "shares: {acme: 0.5, Globex: 0.5}")
        .replace("  - name: tagged\n    method: tag\n", "")
        .replace(
            "  - name: taxes\n",
            "  - name: tagged\n    method: tag\n  - name: new-one\n    method: revenue\n"
            "  - name: taxes\n",
        )
        .replace("  - name: platform\n    method: revenue\n    scope: {customers: [Initech]}\n", "")
        .replace("{customers: [012345]}", "{customers: [012345]}\n    effective_to: 2025-01-01")
    )
    new = load_rules(write(tmp_path, text, "new.yml"))
    support = f"{ruleset.rules[5].version} -> {new.rules[4].version}"
    # A new window changes the days a rule covers, not how it allocates: the version stays.
    assert ruleset.rules[7].version == new.rules[5].version
    assert diff_rules(ruleset, new) == [
        "removed: rule 'platform' (was #7, revenue)",
        f"changed: rule 'support' (shares): version {support}",
        f"changed: rule 'spread' (effective_to): its days only, version {new.rules[5].version} unchanged",
        "re-ordered: rule 'tagged' moved from #1 to #7",
        "added: rule 'new-one' at #8 (revenue)",
    ]


def test_only_insertions_do_not_count_as_reordering(tmp_path: Path, ruleset: RuleSet) -> None:
    text = RULES.replace("rules:\n", "rules:\n  - name: first\n    method: even\n")
    new = load_rules(write(tmp_path, text, "new.yml"))
    assert diff_rules(ruleset, new) == ["added: rule 'first' at #1 (even)"]


def test_swap_reports_a_move(tmp_path: Path) -> None:
    old = load_rules(
        write(tmp_path, "rules:\n  - {name: a, method: tag}\n  - {name: b, method: even}\n", "a")
    )
    new = load_rules(
        write(tmp_path, "rules:\n  - {name: b, method: even}\n  - {name: a, method: tag}\n", "b")
    )
    lines = diff_rules(old, new)
    assert len(lines) == 1
    assert lines[0] in (
        "re-ordered: rule 'a' moved from #1 to #2",
        "re-ordered: rule 'b' moved from #2 to #1",
    )


def test_method_change_and_tag_key_change(tmp_path: Path) -> None:
    old = load_rules(write(tmp_path, "rules:\n  - {name: a, method: tag}\n", "a"))
    new = load_rules(
        write(
            tmp_path,
            "customer_tag_key: client\nrules:\n  - {name: a, method: even, description: x}\n",
            "b",
        )
    )
    assert diff_rules(old, new) == [
        "customer_tag_key changed: 'customer_id' -> 'client'",
        f"changed: rule 'a' (method): version {old.rules[0].version} -> {new.rules[0].version}",
    ]


def test_diff_against_defaults(ruleset: RuleSet) -> None:
    lines = diff_rules(default_rules(), ruleset)
    assert "removed: rule 'taxes-and-credits' (was #2, proportional_to_cost)" in lines
    assert "removed: rule 'usage-by-service' (was #3, usage)" in lines
    assert "changed: rule 'tagged' (match): version" in " ".join(lines)
    assert "added: rule 'taxes' at #9 (proportional_to_cost)" in lines
