"""Tests for cpc.rules: loading allocation.yml, validation, predicate safety, rendering."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlglot
from cpc import PROJECT_DIR
from cpc.errors import UserError
from cpc.rules import (
    ALLOWED_COLUMNS,
    COST_CATEGORIES,
    KUBERNETES_DEFAULTS,
    METHOD_KEYS,
    METHODS,
    NUMERIC_COLUMNS,
    RECONCILIATION_DEFAULTS,
    SHARE_IDLE_MODES,
    UNATTRIBUTED_REASONS,
    Rule,
    RuleSet,
    compile_match,
    default_rules,
    load_rules,
    project_vars,
    tag_column,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLE = """\
customer_tag_key: customer_id
rules:                      # in order; first rule that matches AND can place it wins
  - name: tagged
    method: tag
  - name: compute-by-cpu
    match: "service_category = 'Compute'"     # SQL predicate over snake_case FOCUS columns
    method: usage
    metric: cpu_core_hours
  - name: platform
    match: "service_name = 'AWS CloudTrail'"
    method: even
    effective_from: 2024-01-01                # inclusive; effective_to exclusive
  - name: taxes
    match: "charge_category in ('Tax', 'Credit')"
    method: proportional_to_cost
"""

INJECTIONS = [
    "1=1; drop table x",
    "service_name = 'a'; drop table x",
    "service_name = 'a';",
    "(select 1) = 1",
    "service_name = 'a' or exists(select 1)",
    "service_name in (select service_name from t)",
    "lower(service_name) = 'x'",
    "service_name = current_user",
    "service_name = version()",
    "read_csv('/etc/passwd') is not null",
    "service_name = 'a' -- ' or 1=1",
    "service_name = 'a' /* or 1=1 */",
    "service_name = 'a' union select 1",
    "service_name = '{{ run_query(\"drop table x\") }}'",
    "{% do run_query('drop table x') %}",
    "billed_cost + 1 > 2",
    "cast(billed_cost as int) = 1",
    "billed_cost::int = 1",
    "* = 1",
    "t.service_name = 'a'",
    "main.t.service_name = 'a'",
    "service_name = $1",
    "service_name = ?",
    "service_name = getenv('HOME')",
    "service_name like 'a%' escape '!'",
    "service_name similar to 'a'",
    "service_name ~ 'a'",
    "service_name between 'a' and 'b'",
    "case when true then true end",
    "service_name = 'a' garbage",
    "drop table x",
    "select 1",
    "service_name = $$x$$",
    "'a' || 'b' = 'ab'",
]

# Column names differing only in spelling from an allowed one.
CLOSE_TYPO = "servce_name"


# --------------------------------------------------------------------------- helpers


def write(tmp_path: Path, text: str, name: str = "allocation.yml") -> Path:
    """Write ``text`` to an allocation file in ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    """Load ``text`` as an allocation file and return the UserError message."""
    path = write(tmp_path, text)
    with pytest.raises(UserError) as info:
        load_rules(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    return message


def rules_yaml(*rules: str) -> str:
    """Build an allocation file from rule bodies written as YAML flow mappings."""
    return "rules:\n" + "".join(f"  - {rule}\n" for rule in rules)


ROWS: list[dict[str, object]] = [
    {
        "id": 1,
        "service_category": "Compute",
        "service_name": "Amazon EC2",
        "charge_category": "Usage",
        "commitment_discount_status": None,
        "billed_cost": 10.5,
        "consumed_quantity": 3.0,
        "resource_id": "i-123",
    },
    {
        "id": 2,
        "service_category": "Management and Governance",
        "service_name": "AWS CloudTrail",
        "charge_category": "Usage",
        "commitment_discount_status": "Used",
        "billed_cost": 1.25,
        "consumed_quantity": 1.0,
        "resource_id": "C:\\path\\it's",
    },
    {
        "id": 3,
        "service_category": None,
        "service_name": "Tax",
        "charge_category": "Tax",
        "commitment_discount_status": None,
        "billed_cost": 2.0,
        "consumed_quantity": None,
        "resource_id": None,
    },
    {
        "id": 4,
        "service_category": "Compute",
        "service_name": "Amazon EC2",
        "charge_category": "Purchase",
        "commitment_discount_status": "Unused",
        "billed_cost": -4.0,
        "consumed_quantity": 0.0,
        "resource_id": "100%_done",
    },
    {
        "id": 5,
        "service_category": "Other",
        "service_name": "aws cloudtrail",
        "charge_category": "Credit",
        "commitment_discount_status": None,
        "billed_cost": -1.0,
        "consumed_quantity": 2.5,
        "resource_id": "r-5",
    },
]


def _sql_type(column: str) -> str:
    """DuckDB type used for a charge column in the test table."""
    if column in ("billed_cost", "effective_cost", "list_cost"):
        return "DECIMAL(18, 6)"
    return "DOUBLE" if column in NUMERIC_COLUMNS else "VARCHAR"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with table ``t`` holding every allowed column and a few rows."""
    connection = duckdb.connect()
    columns = ", ".join(f"{c} {_sql_type(c)}" for c in ALLOWED_COLUMNS)
    connection.execute(f"create table t (id integer, {columns})")
    names = ["id", *ALLOWED_COLUMNS]
    placeholders = ", ".join("?" for _ in names)
    for row in ROWS:
        connection.execute(
            f"insert into t ({', '.join(names)}) values ({placeholders})",
            [row.get(name) for name in names],
        )
    yield connection
    connection.close()


def matching_ids(con: duckdb.DuckDBPyConnection, predicate: str) -> list[int]:
    """Ids of the rows of ``t`` that satisfy ``predicate``."""
    rows = con.execute(f"select id from t where {predicate} order by id").fetchall()
    return [row[0] for row in rows]


# --------------------------------------------------------------------------- example file


def test_example_loads_for_duckdb(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    ruleset = load_rules(path)
    assert isinstance(ruleset, RuleSet)
    assert ruleset.customer_tag_key == "customer_id"
    assert ruleset.source == str(path)
    assert ruleset.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r.name for r in ruleset.rules] == ["tagged", "compute-by-cpu", "platform", "taxes"]
    assert [r.method for r in ruleset.rules] == ["tag", "usage", "even", "proportional_to_cost"]
    assert [r.position for r in ruleset.rules] == [1, 2, 3, 4]
    assert [r.match_sql for r in ruleset.rules] == [
        "true",
        "(service_category = 'Compute')",
        "(service_name = 'AWS CloudTrail')",
        "(charge_category IN ('Tax', 'Credit'))",
    ]
    compute = ruleset.rules[1]
    assert compute.metric == "cpu_core_hours"
    assert compute.match == "service_category = 'Compute'"
    platform = ruleset.rules[2]
    assert platform.effective_from == dt.date(2024, 1, 1)
    assert platform.effective_to is None
    assert platform.metric is None


def test_example_renders_for_spark(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    duck = load_rules(path, dialect="duckdb")
    spark = load_rules(path, dialect="spark")
    assert spark.content_hash == duck.content_hash
    assert [r.match_sql for r in spark.rules] == [r.match_sql for r in duck.rules]
    assert spark.dialect == "spark"


def test_example_to_dbt_vars(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    ruleset = load_rules(path)
    dbt_vars = ruleset.to_dbt_vars()
    assert json.loads(json.dumps(dbt_vars)) == dbt_vars
    assert dbt_vars["cpc_customer_tag_key"] == "customer_id"
    assert dbt_vars["cpc_rules_hash"] == ruleset.content_hash
    assert "cpc_rules_source" not in dbt_vars  # a path: it would make each input folder parse the project anew
    assert dbt_vars["cpc_rules"][2] == {
        "name": "platform",
        "method": "even",
        "match_sql": "(service_name = 'AWS CloudTrail')",
        "metric": None,
        "effective_from": "2024-01-01",
        "effective_to": None,
        "position": 3,
        "version": ruleset.rules[2].version,
        "basis_sql": None,
        "weights_segment": {},
        "weights_customer": {},
        "default_weight": 1.0,
        "shares": {},
        "remainder_unattributed": False,
        "scope_segments": [],
        "scope_customers": [],
        "across_services": False,
    }
    assert dbt_vars["cpc_rules"][1]["metric"] == "cpu_core_hours"
    assert dbt_vars["cpc_rule_tag_keys"] == []
    for rule in dbt_vars["cpc_rules"]:
        assert set(rule) == {
            "name",
            "method",
            "match_sql",
            "metric",
            "effective_from",
            "effective_to",
            "position",
            "version",
            "basis_sql",
            "weights_segment",
            "weights_customer",
            "default_weight",
            "shares",
            "remainder_unattributed",
            "scope_segments",
            "scope_customers",
            "across_services",
        }


def test_example_predicates_execute_in_duckdb(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    ruleset = load_rules(write(tmp_path, EXAMPLE))
    counts = [
        con.execute(f"select count(*) from t where {rule.match_sql}").fetchone()[0]
        for rule in ruleset.rules
    ]
    assert counts == [5, 2, 1, 2]


def test_hash_changes_with_bytes(tmp_path: Path) -> None:
    first = load_rules(write(tmp_path, EXAMPLE, "a.yml"))
    second = load_rules(write(tmp_path, EXAMPLE + "# a comment\n", "b.yml"))
    assert first.content_hash != second.content_hash
    assert [r.match_sql for r in first.rules] == [r.match_sql for r in second.rules]


# --------------------------------------------------------------------------- defaults


def test_default_rules() -> None:
    ruleset = default_rules()
    assert load_rules(None) == ruleset
    assert ruleset.source == "default"
    assert ruleset.customer_tag_key == "customer_id"
    assert [(r.name, r.method, r.metric, r.position) for r in ruleset.rules] == [
        ("tagged", "tag", None, 1),
        ("taxes-and-credits", "proportional_to_cost", None, 2),
        ("usage-by-service", "usage", None, 3),
    ]
    not_unused = "(commitment_discount_status IS NULL OR commitment_discount_status <> 'Unused')"
    assert ruleset.rules[0].match_sql == not_unused
    assert ruleset.rules[1].match_sql == "(charge_category IN ('Tax', 'Credit'))"
    assert ruleset.rules[2].match_sql == not_unused
    assert all(r.effective_from is None and r.effective_to is None for r in ruleset.rules)
    assert len(ruleset.content_hash) == 64
    assert int(ruleset.content_hash, 16) >= 0
    assert default_rules().content_hash == ruleset.content_hash
    assert default_rules("spark").content_hash == ruleset.content_hash
    json.dumps(ruleset.to_dbt_vars())


def test_default_rules_exclude_unused_commitments(con: duckdb.DuckDBPyConnection) -> None:
    tagged, taxes, usage = default_rules().rules
    assert matching_ids(con, tagged.match_sql) == [1, 2, 3, 5]
    assert matching_ids(con, usage.match_sql) == [1, 2, 3, 5]
    assert matching_ids(con, taxes.match_sql) == [3, 5]


def test_default_rules_for_spark() -> None:
    assert [r.match_sql for r in default_rules("spark").rules] == [
        r.match_sql for r in default_rules().rules
    ]


def test_project_default_rules_are_the_compiled_defaults() -> None:
    """dbt_project.yml's cpc_rules (for dbt run by hand) are cpc.rules' defaults, compiled."""
    project = project_vars()
    compiled = default_rules().to_dbt_vars()
    assert project["cpc_rules"] == compiled["cpc_rules"]
    assert project["cpc_customer_tag_key"] == compiled["cpc_customer_tag_key"]
    assert project["cpc_fx_max_gap_days"] == compiled["cpc_fx_max_gap_days"]
    for key in ("cpu_hourly_price", "ram_gib_hourly_price", "share_idle"):
        assert project[f"cpc_kubernetes_{key}"] == compiled[f"cpc_kubernetes_{key}"]
    assert project["cpc_reconciliation_tolerance"] == compiled["cpc_reconciliation_tolerance"]
    assert (project["cpc_reconciliation_units"] or {}) == compiled["cpc_reconciliation_units"]
    assert project["cpc_lookback_days"] == compiled["cpc_lookback_days"]


def test_enumerations_come_from_the_project() -> None:
    """The lists cpc.rules validates against are dbt_project.yml's vars, and fit its logic."""
    project = project_vars()
    assert tuple(project["cpc_allocation_methods"]) == METHODS
    assert set(METHOD_KEYS) == set(METHODS)
    assert tuple(project["cpc_cost_categories"]) == COST_CATEGORIES
    assert tuple(project["cpc_kubernetes_share_idle_modes"]) == SHARE_IDLE_MODES
    assert KUBERNETES_DEFAULTS["share_idle"] in SHARE_IDLE_MODES
    reasons = [reason for step in UNATTRIBUTED_REASONS.values() for reason in step]
    assert len(reasons) == len(set(reasons)) == 9


def test_no_enumeration_is_written_twice() -> None:
    """Model and seed YAML tests and the macros read the project variables, not copies."""
    reasons = {reason for step in UNATTRIBUTED_REASONS.values() for reason in step}
    enumerations = {"cost categories": set(COST_CATEGORIES), "methods": set(METHODS),
                    "unattributed reasons": reasons}
    for path in [*(PROJECT_DIR / "models").rglob("*.yml"), *(PROJECT_DIR / "seeds").rglob("*.yml")]:
        for line in path.read_text().splitlines():
            if not line.strip().startswith("values: ["):
                continue
            listed = {value.strip() for value in line.split("[", 1)[1].rstrip("] ").split(",")}
            for what, names in enumerations.items():
                assert len(listed & names) < 3, f"{path.name} lists {what}: {line.strip()}"
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        text = path.read_text()
        assert "'observability', 'security'" not in text, path.name
        assert "'weighted', 'fixed'" not in text, path.name
        assert str(KUBERNETES_DEFAULTS["cpu_hourly_price"]) not in text, path.name


def test_readme_documents_the_project_lists() -> None:
    """The README's paragraphs on the defaults and the unattributed reasons name exactly what the
    project defines (its rules and its var cpc_unattributed_reasons), in that order for rules."""
    readme = (PROJECT_DIR / "README.md").read_text()
    reasons_text = readme.split("**Unattributed reasons**", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", reasons_text))
    assert documented == {reason for step in UNATTRIBUTED_REASONS.values() for reason in step}
    defaults_text = readme.split("**Defaults**", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"`([a-z-]+)`", defaults_text) == [rule.name for rule in default_rules().rules]


def test_unknown_dialect_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unsupported SQL dialect 'oracle'"):
        load_rules(None, dialect="oracle")


# --------------------------------------------------------------------------- accepted forms


def test_optional_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        customer_tag_key: "team:customer"
        rules:
          - name: usage_any
            method: usage
            metric: null
            description: split by the service's only metric
            effective_from: "2024-01-01"
            effective_to: 2024-02-01
          - name: all
            method: even
        """,
    )
    ruleset = load_rules(path)
    assert ruleset.customer_tag_key == "team:customer"
    first, second = ruleset.rules
    assert first.metric is None
    assert first.description == "split by the service's only metric"
    assert (first.effective_from, first.effective_to) == (dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    assert first.to_dbt_var()["effective_to"] == "2024-02-01"
    assert second.match_sql == "true"
    assert second.match is None


def test_rule_is_frozen() -> None:
    rule = default_rules().rules[0]
    assert isinstance(rule, Rule)
    with pytest.raises(AttributeError):
        rule.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("match", "duckdb_sql", "spark_sql"),
    [
        (
            "Service_Name ILIKE '%ec2%'",
            "(service_name ILIKE '%ec2%')",
            "(service_name ILIKE '%ec2%')",
        ),
        ("\"SERVICE_NAME\" = 'x'", "(service_name = 'x')", "(service_name = 'x')"),
        ("service_name != 'x'", "(service_name <> 'x')", "(service_name <> 'x')"),
        (
            "service_name not in ('a', 'b')",
            "(NOT service_name IN ('a', 'b'))",
            "(NOT service_name IN ('a', 'b'))",
        ),
        (
            "service_name not like 'a%'",
            "(service_name NOT LIKE 'a%')",
            "(service_name NOT LIKE 'a%')",
        ),
        ("resource_id is not null", "(NOT resource_id IS NULL)", "(NOT resource_id IS NULL)"),
        (
            "resource_id = 'C:\\path\\it''s'",
            "(resource_id = 'C:\\path\\it''s')",
            "(resource_id = 'C:\\\\path\\\\it\\'s')",
        ),
        (
            "billed_cost >= -1.5e3 and consumed_quantity < .5",
            "(billed_cost >= -1.5e3 AND consumed_quantity < 0.5)",
            "(billed_cost >= -1.5e3 AND consumed_quantity < 0.5)",
        ),
        ("true", "true", "true"),
        ("resource_id like '%}%'", "(resource_id LIKE '%}%')", "(resource_id LIKE '%}%')"),
        ("(FALSE)", "false", "false"),
        ("not true", "(NOT TRUE)", "(NOT TRUE)"),
        (
            "service_name = 'a' and (service_category = 'b' or charge_category = 'c')",
            "(service_name = 'a' AND (service_category = 'b' OR charge_category = 'c'))",
            "(service_name = 'a' AND (service_category = 'b' OR charge_category = 'c'))",
        ),
    ],
)
def test_rendering(match: str, duckdb_sql: str, spark_sql: str) -> None:
    assert compile_match(match, "duckdb") == duckdb_sql
    assert compile_match(match, "spark") == spark_sql


def test_rendered_literals_keep_their_value(con: duckdb.DuckDBPyConnection) -> None:
    assert matching_ids(con, compile_match("resource_id = 'C:\\path\\it''s'")) == [2]
    assert matching_ids(con, compile_match("resource_id like '100%'")) == [4]
    assert matching_ids(con, compile_match("service_name ilike 'AWS%'")) == [2, 5]
    assert matching_ids(con, compile_match("service_name not in ('Tax', 'Amazon EC2')")) == [2, 5]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # file level
        ("rules: [\n  - name: a\n    method: tag\n", ["line ", "invalid YAML"]),
        ("rules:\n  - name: a\n   method: tag\n", ["line 3", "invalid YAML"]),
        ("", ["file is empty"]),
        ("- name: a\n  method: tag\n", ["top level must be a mapping", "not a list"]),
        (
            "rule:\n  - {name: a, method: tag}\n",
            ["unknown top-level key 'rule'", "did you mean 'rules'"],
        ),
        ("customer_tag_key: customer_id\n", ["'rules' is missing"]),
        ("rules: []\n", ["'rules' is empty"]),
        ("rules:\n", ["'rules' must be a list", "not empty"]),
        ("rules: tagged\n", ["'rules' must be a list", "not text"]),
        ("rules:\n  - {name: a, method: tag}\nrules: []\n", ["line 3", "duplicate key 'rules'"]),
        (
            "customer_tag_key: 42\n" + rules_yaml("{name: a, method: tag}"),
            ["customer_tag_key must be text"],
        ),
        (
            'customer_tag_key: "x\'; drop"\n' + rules_yaml("{name: a, method: tag}"),
            ["customer_tag_key", "not a valid tag key"],
        ),
        # rule shape and name
        (rules_yaml("tagged"), ["rule #1:", "must be a mapping"]),
        (rules_yaml("{name: a, method: tag}", "{method: tag}"), ["rule #2:", "name is required"]),
        (rules_yaml("{name: '', method: tag}"), ["rule #1:", "name is empty"]),
        (rules_yaml("{name: 12, method: tag}"), ["rule #1:", "name must be text"]),
        (
            rules_yaml("{name: 'bad name!', method: tag}"),
            ["rule #1:", "'bad name!'", "letters, digits"],
        ),
        (rules_yaml("{name: " + "x" * 65 + ", method: tag}"), ["rule #1:", "longer than 64"]),
        (
            rules_yaml("{name: a, method: tag}", "{name: A, method: even}"),
            ["rule 'A' (#2)", "duplicate name", "rule #1"],
        ),
        (rules_yaml("{name: a, method: tag, method: even}"), ["duplicate key 'method'"]),
        # keys and method
        (
            rules_yaml("{name: a, method: tag, matches: 'true'}"),
            ["rule 'a':", "unknown key 'matches'", "did you mean 'match'"],
        ),
        (rules_yaml("{name: a}"), ["rule 'a':", "method is required"]),
        (rules_yaml("{name: a, method: 3}"), ["rule 'a':", "method must be text"]),
        (
            rules_yaml("{name: a, method: usgae}"),
            [
                "rule 'a':",
                "unknown method 'usgae'",
                "did you mean 'usage'",
                "supported: tag, usage, even, weighted, fixed, revenue, proportional_to_cost",
            ],
        ),
        (
            rules_yaml("{name: a, method: weighted}"),
            ["rule 'a': weights is required for method 'weighted'"],
        ),
        (rules_yaml("{name: a, method: fixed}"), ["rule 'a': shares is required"]),
        (
            rules_yaml("{name: a, method: revenue, metric: cpu}"),
            ["rule 'a':", "metric is only allowed with method 'usage', not 'revenue'"],
        ),
        # metric
        (
            rules_yaml("{name: a, method: even, metric: cpu}"),
            ["rule 'a':", "metric is only allowed with method 'usage'"],
        ),
        (
            rules_yaml("{name: a, method: usage, metric: 'cpu hours'}"),
            ["rule 'a':", "metric 'cpu hours'"],
        ),
        (rules_yaml("{name: a, method: usage, metric: 5}"), ["rule 'a':", "metric must be text"]),
        (
            rules_yaml("{name: a, method: tag, description: [x]}"),
            ["rule 'a':", "description must be text"],
        ),
        # dates
        (
            rules_yaml("{name: a, method: tag, effective_from: soon}"),
            ["rule 'a':", "effective_from 'soon' is not a date", "YYYY-MM-DD"],
        ),
        (
            rules_yaml("{name: a, method: tag, effective_to: 20240101}"),
            ["rule 'a':", "effective_to", "is not a date"],
        ),
        (
            rules_yaml("{name: a, method: tag, effective_from: 2024-01-01 10:00:00}"),
            ["rule 'a':", "effective_from must be a date", "not a timestamp"],
        ),
        (
            rules_yaml("{name: a, method: tag, effective_from: '2024-02-30'}"),
            ["rule 'a':", "effective_from '2024-02-30' is not a valid date"],
        ),
        (
            rules_yaml("{name: a, method: tag, effective_from: 2024-02-30}"),
            ["line 2", "invalid date '2024-02-30'"],
        ),
        (
            rules_yaml(
                "{name: a, method: tag, effective_from: 2024-03-01, effective_to: 2024-03-01}"
            ),
            ["rule 'a':", "effective_from (2024-03-01) must be before effective_to (2024-03-01)"],
        ),
        # match
        (
            rules_yaml(
                "{name: compute-by-cpu, method: usage, match: \"lower(service_name) = 'x'\"}"
            ),
            [
                (
                    "rule 'compute-by-cpu': 'lower(service_name)' is not allowed in match (allowed: "
                    "columns, tag('key'), charge_date, literals, date 'YYYY-MM-DD', comparisons, "
                    "AND/OR/NOT, IN, LIKE, IS NULL)"
                )
            ],
        ),
        (
            rules_yaml(f"{{name: a, method: tag, match: \"{CLOSE_TYPO} = 'x'\"}}"),
            ["rule 'a':", f"unknown column '{CLOSE_TYPO}'", "did you mean service_name"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"zzz = 'x'\"}"),
            ["rule 'a':", "unknown column 'zzz'", "allowed columns: billing_account_id"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name = \"Compute\"'}"),
            ["rule 'a':", "unknown column 'Compute'", "single quotes"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"t.service_name = 'x'\"}"),
            ["rule 'a':", "qualified column 't.service_name'"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: true}"),
            ["rule 'a':", "match must be a SQL condition written as text"],
        ),
        (rules_yaml("{name: a, method: tag, match: ''}"), ["rule 'a':", "match is empty"]),
        (rules_yaml("{name: a, method: tag, match: }"), ["rule 'a':", "match is empty"]),
        (
            rules_yaml('{name: a, method: tag, match: "service_name = \'x"}'),
            ["rule 'a':", "could not read match"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name = = 1'}"),
            ["rule 'a':", "not a valid SQL condition"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: service_name}"),
            ["rule 'a':", "'service_name' is not a condition"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name = 1'}"),
            ["rule 'a':", "compares text with a number"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"billed_cost > '1'\"}"),
            ["rule 'a':", "compares text with a number"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"billed_cost like '1%'\"}"),
            ["rule 'a':", "LIKE needs text"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name like resource_id'}"),
            ["rule 'a':", "LIKE pattern must be a 'quoted' text literal"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name like 'a\\\\_b'\"}"),
            ["rule 'a':", "backslashes in LIKE patterns"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name = null'}"),
            ["rule 'a':", "IS NULL"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name not in ('a', null)\"}"),
            ["rule 'a':", "NULL in an IN list"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name in (resource_id)'}"),
            ["rule 'a':", "'resource_id' is not allowed in an IN list"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'service_name = true'}"),
            ["rule 'a':", "can only be used as a whole condition"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: 'null'}"),
            ["rule 'a':", "NULL on its own is not a condition"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name = 'a' -- note\"}"),
            ["rule 'a':", "comments are not allowed"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name = 'a'; drop table x\"}"),
            ["rule 'a':", "';' is not allowed in match"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name = 'a' foo\"}"),
            ["rule 'a':", "unexpected 'foo'"],
        ),
        (
            rules_yaml("{name: a, method: tag, match: \"service_name = '{{ x }}'\"}"),
            ["rule 'a':", "'{{' is not allowed in match"],
        ),
    ],
)
def test_validation_errors(tmp_path: Path, text: str, expected: list[str]) -> None:
    message = load_error(tmp_path, text)
    for part in expected:
        assert part in message, message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    with pytest.raises(UserError, match=r"nope\.yml: file not found"):
        load_rules(path)


def test_directory_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a directory"):
        load_rules(tmp_path)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"rules: \xff\xfe\n")
    with pytest.raises(UserError, match="not UTF-8"):
        load_rules(binary)


def test_error_names_rule_after_valid_ones(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        rules_yaml("{name: ok, method: tag}", "{name: broken, method: even, metric: cpu}"),
    )
    assert "rule 'broken'" in message
    assert "rule 'ok'" not in message


def test_methods_constant() -> None:
    assert METHODS == (
        "tag",
        "usage",
        "even",
        "weighted",
        "fixed",
        "revenue",
        "proportional_to_cost",
    )
    assert len(set(ALLOWED_COLUMNS)) == len(ALLOWED_COLUMNS) == 35
    assert NUMERIC_COLUMNS <= set(ALLOWED_COLUMNS)


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize("match", INJECTIONS)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_injection_attempts_are_rejected(match: str, dialect: str) -> None:
    with pytest.raises(UserError) as info:
        compile_match(match, dialect)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("match", INJECTIONS[:6])
def test_injection_attempts_are_rejected_in_files(tmp_path: Path, match: str) -> None:
    text = "rules:\n  - name: evil\n    method: tag\n    match: " + json.dumps(match) + "\n"
    message = load_error(tmp_path, text)
    assert "rule 'evil'" in message


def test_deep_nesting_is_a_user_error() -> None:
    with pytest.raises(UserError):
        compile_match("(" * 5000 + "true" + ")" * 5000)
    with pytest.raises(UserError):
        compile_match("not " * 5000 + "true")


# --------------------------------------------------------------------------- properties

PROPERTY_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TEXT_COLUMNS = [c for c in ALLOWED_COLUMNS if c not in NUMERIC_COLUMNS]
NUM_COLUMNS = sorted(NUMERIC_COLUMNS)
JINJA = ("{{", "{%", "{#")


def _cased(word: str) -> st.SearchStrategy[str]:
    """``word`` in random letter case."""
    return st.sampled_from([word.lower(), word.upper(), word.title()])


def _column(names: list[str]) -> st.SearchStrategy[str]:
    """A column reference in random case, sometimes double-quoted."""
    return st.tuples(st.sampled_from(names), st.sampled_from(["lower", "upper", "quoted"])).map(
        lambda pair: {
            "lower": pair[0],
            "upper": pair[0].upper(),
            "quoted": f'"{pair[0]}"',
        }[pair[1]]
    )


_text_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=8,
).filter(lambda s: not any(marker in s for marker in JINJA))
_text_literal = _text_value.map(lambda s: "'" + s.replace("'", "''") + "'")
_pattern_literal = st.text(alphabet="ab%_ '.Cc", max_size=6).map(
    lambda s: "'" + s.replace("'", "''") + "'"
)
_number_literal = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0.5", ".5", "1e3", "2.5E-2", "10."]),
)
_comparison = st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="])


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Concatenate generated parts with single spaces."""
    return st.tuples(*parts).map(" ".join)


def _in_list(literal: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A parenthesised list of 1-4 literals."""
    return st.lists(literal, min_size=1, max_size=4).map(lambda items: f"({', '.join(items)})")


_atom = st.one_of(
    _join(_column(TEXT_COLUMNS), _comparison, st.one_of(_text_literal, _column(TEXT_COLUMNS))),
    _join(_text_literal, _comparison, _column(TEXT_COLUMNS)),
    _join(_column(NUM_COLUMNS), _comparison, st.one_of(_number_literal, _column(NUM_COLUMNS))),
    _join(
        _column(TEXT_COLUMNS), st.sampled_from(["in", "NOT IN", "not in"]), _in_list(_text_literal)
    ),
    _join(_column(NUM_COLUMNS), _cased("in"), _in_list(_number_literal)),
    _join(
        _column(TEXT_COLUMNS),
        st.sampled_from(["like", "LIKE", "not like", "ilike", "NOT ILIKE"]),
        _pattern_literal,
    ),
    _join(_column(list(ALLOWED_COLUMNS)), st.sampled_from(["is null", "IS NOT NULL"])),
    st.sampled_from(["true", "FALSE"]),
)


@st.composite
def _predicates(draw: st.DrawFn, depth: int = 3) -> str:
    """A random allowed predicate: atoms combined with AND/OR/NOT and parentheses."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(_atom)
    form = draw(st.integers(0, 4))
    left = draw(_predicates(depth - 1))
    if form == 0:
        return f"{left} {draw(_cased('and'))} {draw(_predicates(depth - 1))}"
    if form == 1:
        return f"{left} {draw(_cased('or'))} {draw(_predicates(depth - 1))}"
    if form == 2:
        return f"({left})"
    if form == 3:
        return f"not ({left})"
    return f"{draw(_cased('not'))} {left}"


def _normalise(tree: sqlglot.exp.Expression) -> sqlglot.exp.Expression:
    """Lower-case and unquote identifiers, and spell numbers the way cpc.rules does."""

    def fix(node: sqlglot.exp.Expression) -> sqlglot.exp.Expression:
        if isinstance(node, sqlglot.exp.Identifier):
            return sqlglot.exp.to_identifier(node.this.lower(), quoted=False)
        if isinstance(node, sqlglot.exp.Literal) and not node.is_string:
            return sqlglot.exp.Literal.number(node.this.removesuffix("."))
        return node

    return _strip_parens(tree.transform(fix))


def _strip_parens(tree: sqlglot.exp.Expression) -> sqlglot.exp.Expression:
    """Remove outer parentheses (bare TRUE/FALSE render without them)."""
    while isinstance(tree, sqlglot.exp.Paren):
        tree = tree.this
    return tree


def _inner(rendered: str) -> str:
    """Strip the outer parentheses added by compile_match."""
    return rendered[1:-1] if rendered.startswith("(") else rendered


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(_predicates())
def test_allowed_predicates_validate_and_round_trip(
    con: duckdb.DuckDBPyConnection, predicate: str
) -> None:
    duck = compile_match(predicate, "duckdb")
    spark = compile_match(predicate, "spark")
    duck_tree = sqlglot.parse_one(_inner(duck), read="duckdb")
    spark_tree = sqlglot.parse_one(_inner(spark), read="spark")
    assert duck_tree == spark_tree
    # The rendered tree is the user's tree up to identifier case/quoting and number spelling.
    assert _strip_parens(duck_tree) == _normalise(sqlglot.parse_one(predicate, read="duckdb"))
    # Rendering is idempotent: the rendered SQL validates to itself.
    assert compile_match(_inner(duck), "duckdb") == duck
    # ... and means the same thing as what the user wrote.
    assert matching_ids(con, duck) == matching_ids(con, predicate)


_junk_tokens = st.sampled_from(
    [
        "service_name",
        "billed_cost",
        "SERVICE_NAME",
        '"service_name"',
        "t.service_name",
        "x",
        "=",
        "<>",
        "!=",
        "<",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "||",
        "::",
        ",",
        ".",
        ";",
        "(",
        ")",
        "'a'",
        "'it''s'",
        "''",
        "'",
        '"',
        "1",
        "-1",
        "1.5",
        "1e3",
        "null",
        "true",
        "false",
        "and",
        "or",
        "not",
        "in",
        "like",
        "ilike",
        "is",
        "between",
        "exists",
        "select",
        "from",
        "drop",
        "table",
        "union",
        "case",
        "when",
        "then",
        "end",
        "lower(",
        "cast(",
        "as",
        "int",
        "--",
        "/*",
        "*/",
        "{{",
        "}}",
        "{%",
        "$1",
        "?",
        "\\",
        "\n",
        "\t",
        "%",
        "escape",
    ]
)


@settings(PROPERTY_SETTINGS, max_examples=400)
@given(st.one_of(st.text(max_size=40), st.lists(_junk_tokens, max_size=12).map(" ".join)))
def test_junk_never_raises_anything_but_user_error(
    con: duckdb.DuckDBPyConnection, junk: str
) -> None:
    for dialect in ("duckdb", "spark"):
        try:
            rendered = compile_match(junk, dialect)
        except UserError as err:
            assert "\n" not in str(err)
            continue
        assert not any(marker in rendered for marker in JINJA)
        if dialect == "duckdb":
            # Whatever is accepted must run (no type errors) on the real engine.
            matching_ids(con, rendered)


@settings(PROPERTY_SETTINGS, max_examples=200)
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(
                [
                    "rules:",
                    "\n",
                    "  - ",
                    "name: a",
                    "method: tag",
                    "match: x",
                    "{",
                    "}",
                    "[",
                    "]",
                    ":",
                    "&a",
                    "*a",
                    "!!python/object",
                    "'",
                    "customer_tag_key:",
                    "2024-13-01",
                    "effective_from:",
                    "metric:",
                    "<<: *a",
                    "\t",
                    "-",
                ]
            ),
            max_size=20,
        ).map("".join),
    )
)
def test_junk_files_never_raise_anything_but_user_error(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "junk.yml"
    path.write_text(junk, encoding="utf-8")
    try:
        load_rules(path)
    except UserError as err:
        assert "\n" not in str(err)


# --------------------------------------------------------------------------- methods

ALL_METHODS = """\
customer_tag_key: customer_id
rules:
  - name: tagged
    method: tag
    match: "tag('team') is null or tag('Team') <> 'internal'"
  - name: compute-by-cpu
    match: "service_category = 'Compute' and charge_date >= date '2024-06-01'"
    method: usage
    metric: cpu_core_hours
  - name: data-team
    match: "tag('Cost Center') = 'data'"
    method: weighted
    weights:
      segment: {Enterprise: 3, Mid Market: 1}
    default_weight: 0.5
    scope: {segments: [enterprise, Mid Market, smb]}
  - name: vip
    method: weighted
    weights:
      customer: {Acme: 2, 012345: 1.5}
  - name: support
    match: "service_name = 'AWS Support (Business)'"
    method: fixed
    shares: {acme: 0.6, globex: 0.3}
    remainder: unattributed
  - name: split
    method: fixed
    shares: {acme: 0.1, globex: 0.2, initech: 0.7}
  - name: platform
    match: "service_name = 'AWS CloudTrail'"
    method: revenue
    scope: {customers: [Acme, globex]}
    effective_from: 2024-01-01
  - name: spread
    method: even
    scope: {segments: [SMB], customers: [initech]}
  - name: taxes
    match: "charge_category in ('Tax', 'Credit')"
    method: proportional_to_cost
    basis: "service_category = 'Compute' or tag('user:env') = 'prod'"
  - name: rest
    method: proportional_to_cost
"""

RULE_VAR_KEYS = {
    "name",
    "method",
    "match_sql",
    "metric",
    "effective_from",
    "effective_to",
    "position",
    "version",
    "basis_sql",
    "weights_segment",
    "weights_customer",
    "default_weight",
    "shares",
    "remainder_unattributed",
    "scope_segments",
    "scope_customers",
    "across_services",
}


def _plain_json_types(value: object) -> bool:
    """Whether ``value`` is built only from plain JSON types (no subclasses, no tuples)."""
    if isinstance(value, dict):
        return all(type(k) is str and _plain_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_json_types(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_every_method_loads(tmp_path: Path) -> None:
    ruleset = load_rules(write(tmp_path, ALL_METHODS))
    assert [r.method for r in ruleset.rules] == [
        "tag",
        "usage",
        "weighted",
        "weighted",
        "fixed",
        "fixed",
        "revenue",
        "even",
        "proportional_to_cost",
        "proportional_to_cost",
    ]
    assert {r.method for r in ruleset.rules} == set(METHODS)
    assert ruleset.tag_keys == ("team", "Cost Center", "user:env")
    assert ruleset.rules[0].tag_keys == ("team",)
    assert ruleset.rules[8].basis == "service_category = 'Compute' or tag('user:env') = 'prod'"
    assert all(len(r.version) == 12 and int(r.version, 16) >= 0 for r in ruleset.rules)
    assert len({r.version for r in ruleset.rules}) == len(ruleset.rules)


def test_every_method_to_dbt_vars(tmp_path: Path) -> None:
    ruleset = load_rules(write(tmp_path, ALL_METHODS))
    dbt_vars = ruleset.to_dbt_vars()
    assert json.loads(json.dumps(dbt_vars)) == dbt_vars
    assert _plain_json_types(dbt_vars)
    assert dbt_vars["cpc_rule_tag_keys"] == [
        {"key": "team", "column": "tag__team"},
        {"key": "Cost Center", "column": "tag__cost_center"},
        {"key": "user:env", "column": "tag__user_env"},
    ]
    rules = {rule["name"]: rule for rule in dbt_vars["cpc_rules"]}
    for rule in rules.values():
        assert set(rule) == RULE_VAR_KEYS
        assert rule["version"] == ruleset.rules[rule["position"] - 1].version
    assert rules["tagged"]["match_sql"] == "(tag__team IS NULL OR tag__team <> 'internal')"
    assert rules["compute-by-cpu"]["match_sql"] == (
        "(service_category = 'Compute' AND cost_date >= CAST('2024-06-01' AS DATE))"
    )
    data_team = rules["data-team"]
    assert data_team["weights_segment"] == {"enterprise": 3.0, "mid-market": 1.0}
    assert data_team["weights_customer"] == {}
    assert data_team["default_weight"] == 0.5
    assert data_team["scope_segments"] == ["enterprise", "mid-market", "smb"]
    assert data_team["scope_customers"] == []
    vip = rules["vip"]
    assert vip["weights_customer"] == {"Acme": 2.0, "012345": 1.5}
    assert vip["weights_segment"] == {}
    assert vip["default_weight"] == 1.0
    assert rules["support"] == {
        "name": "support",
        "method": "fixed",
        "match_sql": "(service_name = 'AWS Support (Business)')",
        "metric": None,
        "effective_from": None,
        "effective_to": None,
        "position": 5,
        "version": ruleset.rules[4].version,
        "basis_sql": None,
        "weights_segment": {},
        "weights_customer": {},
        "default_weight": 1.0,
        "shares": {"acme": 0.6, "globex": 0.3},
        "remainder_unattributed": True,
        "scope_segments": [],
        "scope_customers": [],
        "across_services": False,
    }
    assert rules["split"]["shares"] == {"acme": 0.1, "globex": 0.2, "initech": 0.7}
    assert rules["split"]["remainder_unattributed"] is False
    assert rules["platform"]["scope_customers"] == ["Acme", "globex"]
    assert rules["platform"]["effective_from"] == "2024-01-01"
    assert rules["spread"]["scope_segments"] == ["smb"]
    assert rules["spread"]["scope_customers"] == ["initech"]
    assert rules["taxes"]["basis_sql"] == "(service_category = 'Compute' OR tag__user_env = 'prod')"
    assert rules["rest"]["basis_sql"] is None
    for name in ("tagged", "compute-by-cpu", "platform", "spread", "taxes", "rest"):
        assert rules[name]["weights_segment"] == rules[name]["shares"] == {}
        assert rules[name]["default_weight"] == 1.0


def test_every_method_renders_the_same_for_spark(tmp_path: Path) -> None:
    path = write(tmp_path, ALL_METHODS)
    duck, spark = load_rules(path), load_rules(path, dialect="spark")
    assert [r.match_sql for r in spark.rules] == [r.match_sql for r in duck.rules]
    assert [r.basis_sql for r in spark.rules] == [r.basis_sql for r in duck.rules]
    assert [r.version for r in spark.rules] == [r.version for r in duck.rules]
    assert spark.tag_keys == duck.tag_keys


def test_yaml_numbers_as_customer_ids_keep_their_spelling(tmp_path: Path) -> None:
    ruleset = load_rules(
        write(
            tmp_path,
            rules_yaml(
                "{name: a, method: fixed, shares: {012345: 0.5, 1_000: 0.25, '0042': 0.25}}",
                "{name: b, method: even, scope: {customers: [007, 12], segments: [2024]}}",
            ),
        )
    )
    assert ruleset.rules[0].to_dbt_var()["shares"] == {"012345": 0.5, "1_000": 0.25, "0042": 0.25}
    assert ruleset.rules[1].scope_customers == ("007", "12")
    assert ruleset.rules[1].scope_segments == ("2024",)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # fixed
        (
            "{name: fx, method: fixed, shares: {acme: 0.5, globex: 0.4}}",
            ["rule 'fx':", "shares sum to 0.9, not 1", "remainder: unattributed"],
        ),
        (
            "{name: fx, method: fixed, shares: {acme: 0.7, globex: 0.4}}",
            ["rule 'fx':", "shares sum to 1.1, not 1"],
        ),
        (
            "{name: fx, method: fixed, shares: {acme: 0.7, globex: 0.4}, remainder: unattributed}",
            ["rule 'fx':", "shares sum to 1.1, more than 1"],
        ),
        (
            "{name: fx, method: fixed, shares: {acme: 0.5}, remainder: nobody}",
            ["rule 'fx':", "remainder 'nobody'", "only value is 'unattributed'"],
        ),
        (
            "{name: fx, method: fixed, shares: {acme: 1}, remainder: }",
            ["rule 'fx':", "remainder is empty"],
        ),
        (
            "{name: fx, method: fixed, shares: {acme: 0}, remainder: unattributed}",
            ["rule 'fx':", "shares 'acme' is 0; it must be > 0"],
        ),
        ("{name: fx, method: fixed, shares: {acme: 1.5}}", ["rule 'fx':", "at most 1"]),
        ("{name: fx, method: fixed, shares: {acme: '1'}}", ["rule 'fx':", "must be a number"]),
        ("{name: fx, method: fixed, shares: {}}", ["rule 'fx':", "shares is empty"]),
        ("{name: fx, method: fixed, shares: [acme]}", ["rule 'fx':", "shares must be a mapping"]),
        (
            "{name: fx, method: fixed, shares: {acme: 0.5, ACME: 0.5}}",
            ["rule 'fx':", "'ACME' and 'acme' in shares are the same"],
        ),
        (
            "{name: fx, method: fixed, shares: {1.5: 1}}",
            ["rule 'fx':", "customer id '1.5' in shares must be text"],
        ),
        (
            '{name: fx, method: fixed, shares: {"it\'s": 1}}',
            ["rule 'fx':", "customer id", "may not contain quotes"],
        ),
        (
            "{name: fx, method: fixed, shares: {' acme': 1}}",
            ["rule 'fx':", "leading or trailing spaces"],
        ),
        (
            "{name: fx, method: fixed, shares: {'{{ x }}': 1}}",
            ["rule 'fx':", "may not contain"],
        ),
        # weighted
        (
            "{name: w, method: weighted, weights: {segment: {smb: -1}}}",
            ["rule 'w':", "weights.segment 'smb' is -1; it must be >= 0"],
        ),
        (
            "{name: w, method: weighted, weights: {segment: {smb: 1}}, default_weight: -0.5}",
            ["rule 'w':", "default_weight is -0.5; it must be >= 0"],
        ),
        (
            "{name: w, method: weighted, weights: {segment: {smb: 1}, customer: {acme: 1}}}",
            ["rule 'w':", "exactly one of 'segment' or 'customer', not both"],
        ),
        (
            "{name: w, method: weighted, weights: {}}",
            ["rule 'w':", "exactly one of 'segment' or 'customer', none given"],
        ),
        (
            "{name: w, method: weighted, weights: {segments: {smb: 1}}}",
            ["rule 'w':", "unknown key 'segments' in weights", "did you mean 'segment'"],
        ),
        (
            "{name: w, method: weighted, weights: {segment: {smb: 0}}, default_weight: 0}",
            ["rule 'w':", "every weight and default_weight is 0"],
        ),
        (
            "{name: w, method: weighted, weights: {segment: {Mid Market: 1, mid-market: 2}}}",
            ["rule 'w':", "'mid-market' and 'Mid Market' in weights.segment are the same"],
        ),
        (
            "{name: w, method: weighted, weights: {segment: {smb: .nan}}}",
            ["rule 'w':", "finite number"],
        ),
        (
            "{name: w, method: weighted, weights: {customer: {acme: true}}}",
            ["rule 'w':", "weights.customer 'acme' must be a number, not true/false"],
        ),
        ("{name: w, method: weighted, weights: 3}", ["rule 'w':", "weights must be a mapping"]),
        # unknown keys per method, scope
        (
            "{name: e, method: even, weights: {segment: {smb: 1}}}",
            ["rule 'e':", "weights is only allowed with method 'weighted', not 'even'"],
        ),
        (
            "{name: f, method: fixed, metric: cpu, shares: {acme: 1}}",
            ["rule 'f':", "metric is only allowed with method 'usage', not 'fixed'"],
        ),
        (
            "{name: t, method: tag, scope: {segments: [smb]}}",
            [
                "rule 't':",
                "scope is only allowed with methods 'even', 'weighted', 'revenue', not 'tag'",
            ],
        ),
        (
            "{name: f, method: fixed, shares: {acme: 1}, scope: {customers: [acme]}}",
            ["rule 'f':", "scope is only allowed with methods", "not 'fixed'"],
        ),
        (
            "{name: r, method: revenue, shares: {acme: 1}}",
            ["rule 'r':", "shares is only allowed with method 'fixed', not 'revenue'"],
        ),
        (
            "{name: u, method: usage, basis: 'true'}",
            ["rule 'u':", "basis is only allowed with method 'proportional_to_cost'"],
        ),
        (
            "{name: p, method: proportional_to_cost, remainder: unattributed}",
            ["rule 'p':", "remainder is only allowed with method 'fixed'"],
        ),
        (
            "{name: e, method: even, scope: {segment: [smb]}}",
            ["rule 'e':", "unknown key 'segment' in scope", "did you mean 'segments'"],
        ),
        ("{name: e, method: even, scope: {}}", ["rule 'e':", "scope is empty"]),
        ("{name: e, method: even, scope: [smb]}", ["rule 'e':", "scope must be a mapping"]),
        (
            "{name: e, method: even, scope: {segments: smb}}",
            ["rule 'e':", "scope.segments must be a list"],
        ),
        (
            "{name: e, method: even, scope: {customers: []}}",
            ["rule 'e':", "scope.customers is empty"],
        ),
        (
            "{name: e, method: revenue, scope: {customers: [acme, Acme]}}",
            ["rule 'e':", "'Acme' is listed twice in scope.customers"],
        ),
        # basis
        (
            "{name: p, method: proportional_to_cost, basis: }",
            ["rule 'p':", "basis is empty"],
        ),
        (
            "{name: p, method: proportional_to_cost, basis: 3}",
            ["rule 'p':", "basis must be a SQL condition written as text"],
        ),
        (
            "{name: p, method: proportional_to_cost, basis: 'lower(service_name) = 1'}",
            ["rule 'p':", "'lower(service_name)' is not allowed in basis", "tag('key')"],
        ),
        (
            "{name: p, method: proportional_to_cost, basis: \"servce_name = 'x'\"}",
            ["rule 'p':", "unknown column 'servce_name' in basis", "did you mean service_name"],
        ),
        # tag()
        (
            "{name: t, method: tag, match: \"tag(service_name) = 'x'\"}",
            ["rule 't':", "'tag(service_name)' is not allowed in match", "tag('team')"],
        ),
        (
            "{name: t, method: tag, match: \"tag() = 'x'\"}",
            ["rule 't':", "'tag()' is not allowed in match", "one tag key"],
        ),
        (
            "{name: t, method: tag, match: \"tag('a', 'b') = 'x'\"}",
            ["rule 't':", "'tag('a', 'b')' is not allowed in match", "one tag key"],
        ),
        (
            "{name: t, method: tag, match: \"tag('it''s') = 'x'\"}",
            ["rule 't':", "tag key 'it's' in match is not allowed", "letters, digits"],
        ),
        (
            "{name: t, method: tag, match: \"tag('') = 'x'\"}",
            ["rule 't':", "tag key '' in match is not allowed"],
        ),
        (
            "{name: t, method: tag, match: \"tag('--') = 'x'\"}",
            ["rule 't':", "tag key '--' in match needs a letter or digit"],
        ),
        (
            "{name: t, method: tag, match: \"tag(('team')) = 'x'\"}",
            ["rule 't':", "is not allowed in match", "one tag key"],
        ),
        (
            "{name: t, method: tag, match: \"tag('team')\"}",
            ["rule 't':", "'tag('team')' is not a condition"],
        ),
        (
            "{name: t, method: tag, match: \"tag('team') = 1\"}",
            ["rule 't':", "compares text with a number"],
        ),
        (
            "{name: t, method: tag, match: \"tag('team') = charge_date\"}",
            ["rule 't':", "compares a date with text"],
        ),
        (
            "{name: t, method: tag, match: \"tag('cost center') = 'x' or tag('cost-center') = 'y'\"}",
            [
                "rule 't':",
                "tag('cost-center') and tag('cost center') would both become column",
                "column tag__cost_center",
            ],
        ),
        # charge_date
        (
            "{name: d, method: tag, match: 'charge_date = 1'}",
            ["rule 'd':", "'charge_date = 1' compares a date with a number"],
        ),
        (
            "{name: d, method: tag, match: 'charge_date in (1, 2)'}",
            ["rule 'd':", "compares a date with a number"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date = 'soon'\"}",
            ["rule 'd':", "'soon' in match is not a date", "date 'YYYY-MM-DD'"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date = '2024-02-30'\"}",
            ["rule 'd':", "'2024-02-30' in match is not a valid date"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date >= date '2024-2-3'\"}",
            ["rule 'd':", "'2024-2-3' in match is not a date"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date like '2024%'\"}",
            ["rule 'd':", "LIKE needs text, not a date"],
        ),
        (
            "{name: d, method: tag, match: 'charge_date = service_name'}",
            ["rule 'd':", "compares a date with text"],
        ),
        (
            "{name: d, method: tag, match: \"service_name = date '2024-01-01'\"}",
            ["rule 'd':", "compares a date with text"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date = timestamp '2024-01-01'\"}",
            ["rule 'd':", "is not allowed in match"],
        ),
        (
            "{name: d, method: tag, match: 'charge_date = current_date'}",
            ["rule 'd':", "'CURRENT_DATE' is not allowed in match", "charge_date"],
        ),
        (
            "{name: d, method: tag, match: \"service_name between 'a' and 'b'\"}",
            ["rule 'd':", "is not allowed in match (allowed:"],
        ),
        (
            "{name: d, method: tag, match: 'charge_date between 1 and 2'}",
            ["rule 'd':", "compares a date with a number"],
        ),
        (
            "{name: d, method: tag, match: \"charge_date between service_name and '2024-01-01'\"}",
            ["rule 'd':", "BETWEEN needs date 'YYYY-MM-DD' bounds"],
        ),
        (
            "{name: d, method: tag, match: \"chargedate = '2024-01-01'\"}",
            ["rule 'd':", "unknown column 'chargedate'", "did you mean charge_date"],
        ),
        (
            "{name: d, method: tag, match: \"cost_date = '2024-01-01'\"}",
            ["rule 'd':", "unknown column 'cost_date'"],
        ),
        (
            "{name: d, method: tag, match: \"tag__team = 'x'\"}",
            ["rule 'd':", "unknown column 'tag__team'"],
        ),
    ],
)
def test_method_and_predicate_errors(tmp_path: Path, rule: str, expected: list[str]) -> None:
    message = load_error(tmp_path, rules_yaml(rule))
    for part in expected:
        assert part in message, message


def test_tag_slug_collision_across_rules(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        rules_yaml(
            "{name: a, method: tag, match: \"tag('Cost Center') = 'x'\"}",
            "{name: b, method: proportional_to_cost, basis: \"tag('cost-center') = 'y'\"}",
        ),
    )
    assert "rule 'b': tag('cost-center') and tag('Cost Center') (in rule 'a')" in message
    assert "tag__cost_center" in message


def test_tag_keys_differing_in_case_are_one_key(tmp_path: Path) -> None:
    ruleset = load_rules(
        write(
            tmp_path,
            rules_yaml(
                "{name: a, method: tag, match: \"tag('Team') = 'x' and tag('env') = 'p'\"}",
                "{name: b, method: proportional_to_cost, match: \"tag('TEAM') = 'y'\","
                " basis: \"tag('team') = 'z' or tag('owner') is null\"}",
            ),
        )
    )
    assert ruleset.tag_keys == ("Team", "env", "owner")
    assert ruleset.rules[1].tag_keys == ("TEAM", "owner")
    assert ruleset.rules[1].match_sql == "(tag__team = 'y')"
    assert ruleset.to_dbt_vars()["cpc_rule_tag_keys"] == [
        {"key": "Team", "column": "tag__team"},
        {"key": "env", "column": "tag__env"},
        {"key": "owner", "column": "tag__owner"},
    ]


@pytest.mark.parametrize(
    ("key", "column"),
    [
        ("team", "tag__team"),
        ("Cost Center", "tag__cost_center"),
        ("user:cost-center", "tag__user_cost_center"),
        ("  a..b//c  ", "tag__a_b_c"),
        ("_x_", "tag__x"),
        ("aws:createdBy", "tag__aws_createdby"),
    ],
)
def test_tag_column(key: str, column: str) -> None:
    assert tag_column(key) == column


@pytest.mark.parametrize(
    ("match", "rendered"),
    [
        ("tag('team') = 'data'", "(tag__team = 'data')"),
        ("TAG('Team') in ('a', 'b')", "(tag__team IN ('a', 'b'))"),
        ("tag('team') ilike 'dat%'", "(tag__team ILIKE 'dat%')"),
        ("tag('team') is not null", "(NOT tag__team IS NULL)"),
        ("tag('a') = tag('b')", "(tag__a = tag__b)"),
        ("charge_date = date '2024-06-01'", "(cost_date = CAST('2024-06-01' AS DATE))"),
        ("charge_date >= DATE '2024-06-01'", "(cost_date >= CAST('2024-06-01' AS DATE))"),
        ("charge_date < '2024-06-01'", "(cost_date < CAST('2024-06-01' AS DATE))"),
        ("'2024-06-01' <= charge_date", "(CAST('2024-06-01' AS DATE) <= cost_date)"),
        ("charge_date <> ('2024-06-01')", "(cost_date <> CAST('2024-06-01' AS DATE))"),
        ("charge_date = cast('2024-06-01' as date)", "(cost_date = CAST('2024-06-01' AS DATE))"),
        ("charge_date = '2024-06-01'::date", "(cost_date = CAST('2024-06-01' AS DATE))"),
        (
            "charge_date in ('2024-06-01', date '2024-06-03')",
            "(cost_date IN (CAST('2024-06-01' AS DATE), CAST('2024-06-03' AS DATE)))",
        ),
        (
            "charge_date between date '2024-06-01' and '2024-06-30'",
            "(cost_date BETWEEN CAST('2024-06-01' AS DATE) AND CAST('2024-06-30' AS DATE))",
        ),
        (
            "charge_date not between '2024-06-01' and '2024-06-30'",
            "(NOT cost_date BETWEEN CAST('2024-06-01' AS DATE) AND CAST('2024-06-30' AS DATE))",
        ),
        ('"Charge_Date" is null', "(cost_date IS NULL)"),
    ],
)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_tag_and_charge_date_rendering(match: str, rendered: str, dialect: str) -> None:
    assert compile_match(match, dialect) == rendered


TAG_ROWS: dict[int, tuple[str | None, str | None, dt.date]] = {
    # id: (tag__team, tag__cost_center, cost_date)
    1: ("data", "cc-1", dt.date(2024, 5, 31)),
    2: ("web", None, dt.date(2024, 6, 1)),
    3: (None, "cc-2", dt.date(2024, 6, 15)),
    4: ("Data", "cc-1", dt.date(2024, 6, 30)),
    5: ("data", None, dt.date(2024, 7, 1)),
}


@pytest.fixture(scope="module")
def tag_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB table ``t`` with the allowed columns plus cost_date and two tag columns."""
    connection = duckdb.connect()
    columns = ", ".join(f"{c} {_sql_type(c)}" for c in ALLOWED_COLUMNS)
    connection.execute(
        f"create table t (id integer, {columns}, cost_date date, "
        "tag__team varchar, tag__cost_center varchar)"
    )
    names = ["id", *ALLOWED_COLUMNS, "cost_date", "tag__team", "tag__cost_center"]
    placeholders = ", ".join("?" for _ in names)
    for row in ROWS:
        team, center, day = TAG_ROWS[int(row["id"])]  # type: ignore[call-overload]
        values = {**row, "cost_date": day, "tag__team": team, "tag__cost_center": center}
        connection.execute(
            f"insert into t ({', '.join(names)}) values ({placeholders})",
            [values.get(name) for name in names],
        )
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("predicate", "ids"),
    [
        ("tag('team') = 'data'", [1, 5]),
        ("tag('TEAM') ilike 'data'", [1, 4, 5]),
        ("tag('team') is null", [3]),
        ("tag('Cost Center') = 'cc-1' and tag('team') <> 'web'", [1, 4]),
        ("charge_date >= date '2024-06-01'", [2, 3, 4, 5]),
        ("charge_date < '2024-06-01'", [1]),
        ("charge_date = '2024-06-15'", [3]),
        ("charge_date in ('2024-06-01', DATE '2024-07-01')", [2, 5]),
        ("charge_date between date '2024-06-01' and date '2024-06-30'", [2, 3, 4]),
        ("charge_date not between '2024-06-01' and '2024-06-30'", [1, 5]),
        ("not charge_date <> '2024-06-30' or tag('team') = 'web'", [2, 4]),
        ("service_category = 'Compute' and charge_date >= '2024-06-01'", [4]),
    ],
)
def test_tag_and_charge_date_predicates_execute(
    tag_con: duckdb.DuckDBPyConnection, predicate: str, ids: list[int]
) -> None:
    assert matching_ids(tag_con, compile_match(predicate)) == ids


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(
    st.sampled_from(["=", "<>", "<", "<=", ">", ">="]),
    st.dates(dt.date(2024, 5, 25), dt.date(2024, 7, 5)),
    st.sampled_from(["date '{}'", "DATE '{}'", "'{}'", "cast('{}' as date)"]),
)
def test_charge_date_comparisons_mean_what_they_say(
    tag_con: duckdb.DuckDBPyConnection, op: str, day: dt.date, spelling: str
) -> None:
    predicate = f"charge_date {op} {spelling.format(day.isoformat())}"
    compare = {
        "=": lambda a, b: a == b,
        "<>": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]
    expected = [i for i, (_t, _c, d) in sorted(TAG_ROWS.items()) if compare(d, day)]
    assert matching_ids(tag_con, compile_match(predicate)) == expected
    assert compile_match(predicate, "spark") == compile_match(predicate, "duckdb")


# --------------------------------------------------------------------------- versions


def _versions(ruleset: RuleSet) -> dict[str, str]:
    """Rule name -> version."""
    return {rule.name: rule.version for rule in ruleset.rules}


def test_version_changes_only_for_the_edited_rule(tmp_path: Path) -> None:
    original = load_rules(write(tmp_path, ALL_METHODS, "a.yml"))
    edits = {
        "support": ALL_METHODS.replace("acme: 0.6, globex: 0.3", "acme: 0.5, globex: 0.3"),
        "data-team": ALL_METHODS.replace("default_weight: 0.5", "default_weight: 0.25"),
        "taxes": ALL_METHODS.replace("tag('user:env') = 'prod'", "tag('user:env') = 'dev'"),
        "spread": ALL_METHODS.replace("customers: [initech]", "customers: [initech, acme]"),
        "compute-by-cpu": ALL_METHODS.replace("metric: cpu_core_hours", "metric: vcpu_hours"),
    }
    for edited, text in edits.items():
        assert text != ALL_METHODS
        changed = load_rules(write(tmp_path, text, f"{edited}.yml"))
        assert changed.content_hash != original.content_hash
        before, after = _versions(original), _versions(changed)
        assert [name for name in before if before[name] != after[name]] == [edited], edited


def test_version_says_how_a_rule_allocates_not_on_which_days(tmp_path: Path) -> None:
    # Ending a rule where its successor starts leaves the days it still covers allocated as before,
    # so an incremental build need not allocate them again: the window is not in the version.
    original = load_rules(write(tmp_path, ALL_METHODS, "a.yml"))
    moved = load_rules(write(tmp_path, ALL_METHODS.replace("effective_from: 2024-01-01", "effective_from: 2024-02-01")
                             .replace("    method: revenue\n", "    method: revenue\n    effective_to: 2025-01-01\n", 1),
                             "moved.yml"))
    assert moved.content_hash != original.content_hash
    assert [(rule.effective_from, rule.effective_to) for rule in moved.rules] != [
        (rule.effective_from, rule.effective_to) for rule in original.rules]
    assert _versions(moved) == _versions(original)
    assert [rule.definition for rule in moved.rules] != [rule.definition for rule in original.rules]


def test_version_ignores_position_description_comments_and_dialect(tmp_path: Path) -> None:
    original = load_rules(write(tmp_path, ALL_METHODS, "a.yml"))
    reordered_text = ALL_METHODS.replace(
        "  - name: rest\n    method: proportional_to_cost\n", ""
    ).replace("rules:\n", "rules:\n  - name: rest\n    method: proportional_to_cost\n")
    reordered = load_rules(write(tmp_path, reordered_text, "b.yml"))
    assert reordered.rules[0].name == "rest"
    assert _versions(reordered) == _versions(original)
    described = load_rules(
        write(
            tmp_path,
            ALL_METHODS.replace("    method: revenue\n", "    method: revenue  # why\n")
            .replace("    method: even\n", "    method: even\n    description: spread it\n")
            .replace("default_weight: 0.5", "default_weight: 0.50")
            .replace("{Enterprise: 3, Mid Market: 1}", "{Mid Market: 1.0, Enterprise: 3}"),
            "c.yml",
        )
    )
    assert described.rules[7].description == "spread it"
    assert _versions(described) == _versions(original)
    spark = load_rules(tmp_path / "a.yml", dialect="spark")
    assert _versions(spark) == _versions(original)


def test_default_rule_versions_are_stable() -> None:
    first, second = default_rules(), default_rules("spark")
    assert _versions(first) == _versions(second)
    assert all(len(v) == 12 for v in _versions(first).values())
    expected = hashlib.sha256(
        json.dumps(
            {
                "match": "charge_category in ('Tax', 'Credit')",
                "method": "proportional_to_cost",
                "name": "taxes-and-credits",
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ).hexdigest()[:12]
    assert first.rules[1].version == expected


# --------------------------------------------------------------------------- junk, new keys


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "rules:\n",
                "  - name: a\n",
                "    method: weighted\n",
                "    method: fixed\n",
                "    method: revenue\n",
                "    method: even\n",
                "    method: proportional_to_cost\n",
                "    weights: {segment: {smb: 1}}\n",
                "    weights: {customer: {012: -1, a: .inf}}\n",
                "    weights: {segment: [a]}\n",
                "    weights: {segment: {? [a]: 1}}\n",
                "    default_weight: x\n",
                "    shares: {a: 0.5, b: 0.5}\n",
                "    shares: {a: !!binary aGk=}\n",
                "    shares: {2024-01-01: 1}\n",
                "    remainder: unattributed\n",
                "    remainder: [x]\n",
                "    scope: {segments: [smb, null], customers: [1.5]}\n",
                "    scope: {customers: {a: 1}}\n",
                "    basis: \"tag('x') = charge_date\"\n",
                "    basis: \"charge_date between date '2024-01-01' and null\"\n",
                "    match: \"tag('a') = 'b' and charge_date > '2024-01-01'\"\n",
                "    match: \"tag(tag('a')) = 'b'\"\n",
                "    match: \"charge_date in (date 'x')\"\n",
                "    description: {}\n",
            ]
        ),
        max_size=8,
    ).map("".join)
)
def test_junk_rule_files_with_new_keys_only_raise_user_errors(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "junk.yml"
    path.write_text(junk, encoding="utf-8")
    try:
        ruleset = load_rules(path)
    except UserError as err:
        assert "\n" not in str(err)
        return
    dbt_vars = ruleset.to_dbt_vars()
    assert json.loads(json.dumps(dbt_vars)) == dbt_vars


# --------------------------------------------------------------------------- Spark


SPARK_PREDICATES = [
    "service_category = 'Compute'",
    "charge_category in ('Tax', 'Credit')",
    "service_name ILIKE 'aws%'",
    "service_name not ilike 'AWS%'",
    "service_name not in ('Tax', 'Amazon EC2')",
    "resource_id = 'C:\\path\\it''s'",
    "resource_id <> 'é\x1f\\n''\"' and resource_id not like '%\t%'",
    "resource_id like '100%'",
    "resource_id like '_-%'",
    "commitment_discount_status is null or commitment_discount_status <> 'Unused'",
    "not commitment_discount_status is not null",
    "billed_cost > -1.5 and consumed_quantity >= 1e0",
    "billed_cost in (10.5, -4)",
    "true",
    "false",
    "not (true and service_name = 'Tax') or false",
]


@pytest.mark.spark
def test_spark_rendering_matches_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """The Spark rendering selects the same rows as the DuckDB rendering."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None:
        pytest.skip("java is not installed")
    existing = pyspark_sql.SparkSession.getActiveSession()
    spark = existing or (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("cpc-test-rules")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    schema = ", ".join(
        f"{c} {'double' if c in NUMERIC_COLUMNS else 'string'}" for c in ALLOWED_COLUMNS
    )
    rows = [(row["id"], *[row.get(c) for c in ALLOWED_COLUMNS]) for row in ROWS]
    try:
        view = "cpc_test_rules_t"
        spark.createDataFrame(rows, f"id int, {schema}").createOrReplaceTempView(view)
        for predicate in SPARK_PREDICATES:
            rendered = compile_match(predicate, "spark")
            query = f"select id from {view} where {rendered} order by id"
            got = [row[0] for row in spark.sql(query).collect()]
            assert got == matching_ids(con, compile_match(predicate, "duckdb")), predicate
    finally:
        if existing is None:
            spark.stop()


SPARK_TAG_AND_DATE_PREDICATES = [
    "tag('team') = 'data'",
    "tag('TEAM') ilike 'data'",
    "tag('team') is null or tag('Cost Center') = 'cc-2'",
    "charge_date >= date '2024-06-01'",
    "charge_date < '2024-06-01'",
    "charge_date in ('2024-06-01', DATE '2024-07-01')",
    "charge_date between date '2024-06-01' and '2024-06-30'",
    "charge_date not between '2024-06-01' and '2024-06-30'",
    "service_category = 'Compute' and charge_date >= '2024-06-01'",
]


@pytest.mark.spark
def test_spark_tag_and_charge_date_rendering_matches_duckdb(
    tag_con: duckdb.DuckDBPyConnection,
) -> None:
    """tag__ columns and charge_date predicates select the same rows on Spark and DuckDB."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None:
        pytest.skip("java is not installed")
    existing = pyspark_sql.SparkSession.getActiveSession()
    spark = existing or (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("cpc-test-rules-tags")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    schema = ", ".join(
        f"{c} {'double' if c in NUMERIC_COLUMNS else 'string'}" for c in ALLOWED_COLUMNS
    )
    rows = []
    for row in ROWS:
        team, center, day = TAG_ROWS[int(row["id"])]  # type: ignore[call-overload]
        rows.append((row["id"], *[row.get(c) for c in ALLOWED_COLUMNS], day, team, center))
    try:
        view = "cpc_test_rules_tags"
        spark.createDataFrame(
            rows, f"id int, {schema}, cost_date date, tag__team string, tag__cost_center string"
        ).createOrReplaceTempView(view)
        for predicate in SPARK_TAG_AND_DATE_PREDICATES:
            rendered = compile_match(predicate, "spark")
            query = f"select id from {view} where {rendered} order by id"
            got = [row[0] for row in spark.sql(query).collect()]
            assert got == matching_ids(tag_con, compile_match(predicate, "duckdb")), predicate
    finally:
        if existing is None:
            spark.stop()


RECONCILED = """\
customer_tag_key: customer_id
reconciliation:
  tolerance: 0.05
  units: {egress_gb: " GB ", lambda_gb_seconds: GB-Seconds}
rules:
  - name: cdn
    method: usage
    metric: egress_gb
"""


def test_reconciliation_settings_reach_dbt_and_bad_ones_are_one_line(tmp_path: Path) -> None:
    dbt_vars = load_rules(write(tmp_path, RECONCILED)).to_dbt_vars()
    assert dbt_vars["cpc_reconciliation_tolerance"] == 0.05
    assert dbt_vars["cpc_reconciliation_units"] == {"egress_gb": "GB", "lambda_gb_seconds": "GB-Seconds"}
    defaults = default_rules().to_dbt_vars()
    assert defaults["cpc_reconciliation_tolerance"] == RECONCILIATION_DEFAULTS["tolerance"] == 0.1
    assert defaults["cpc_reconciliation_units"] == {}
    for setting, message in (
        ("tolerance: 10", "reconciliation tolerance is 10; it is a relative difference from 0 to 1"),
        ("tolerance: 0", "reconciliation tolerance is 0; it must be > 0"),
        ("tolerance: ten", "reconciliation tolerance must be a number, not text"),
        ("tolerence: 0.1", "unknown key 'tolerence' in reconciliation"),
        ("units: [egress_gb]", "reconciliation units must be a mapping of telemetry metric to billed unit"),
        ("units: {egress_gb: ''}", "reconciliation units 'egress_gb' must name a billed unit"),
        ("units: {'egress gb': GB}", "reconciliation units: metric 'egress gb' may only use letters"),
    ):
        body = '  tolerance: 0.05\n  units: {egress_gb: " GB ", lambda_gb_seconds: GB-Seconds}\n'
        text = RECONCILED.replace(body, f"  {setting}\n")
        assert message in load_error(tmp_path, text), setting


def test_the_lookback_window_reaches_dbt_and_bad_ones_are_one_line(tmp_path: Path) -> None:
    rules = "rules:\n  - {name: spread, method: even}\n"
    assert load_rules(write(tmp_path, "incremental: {lookback_days: 30}\n" + rules)).to_dbt_vars()[
        "cpc_lookback_days"] == 30
    assert load_rules(write(tmp_path, rules)).lookback_days == project_vars()["cpc_lookback_days"] == 7
    for setting, message in (
        ("incremental: {lookback_days: -1}", "incremental lookback_days must be a whole number of days from 0 to 3660"),
        ("incremental: {lookback_days: 2.5}", "incremental lookback_days must be a whole number of days"),
        ("incremental: {look_back_days: 3}", "unknown key 'look_back_days' in incremental (did you mean 'lookback_days'?)"),
        ("incremental: 7", "incremental must be a mapping such as {lookback_days: 7}, not a number"),
    ):
        assert message in load_error(tmp_path, f"{setting}\n{rules}"), setting
