"""Tests for cpc.rules: loading allocation.yml, validation, predicate safety, rendering."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlglot
from cpc.errors import UserError
from cpc.rules import (
    ALLOWED_COLUMNS,
    METHODS,
    NUMERIC_COLUMNS,
    Rule,
    RuleSet,
    compile_match,
    default_rules,
    load_rules,
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
    assert dbt_vars["cpc_rules_source"] == str(path)
    assert dbt_vars["cpc_rules"][2] == {
        "name": "platform",
        "method": "even",
        "match_sql": "(service_name = 'AWS CloudTrail')",
        "metric": None,
        "effective_from": "2024-01-01",
        "effective_to": None,
        "position": 3,
    }
    assert dbt_vars["cpc_rules"][1]["metric"] == "cpu_core_hours"
    for rule in dbt_vars["cpc_rules"]:
        assert set(rule) == {
            "name",
            "method",
            "match_sql",
            "metric",
            "effective_from",
            "effective_to",
            "position",
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
        ("usage-by-service", "usage", None, 2),
        ("taxes-and-credits", "proportional_to_cost", None, 3),
    ]
    not_unused = "(commitment_discount_status IS NULL OR commitment_discount_status <> 'Unused')"
    assert ruleset.rules[0].match_sql == not_unused
    assert ruleset.rules[1].match_sql == not_unused
    assert ruleset.rules[2].match_sql == "(charge_category IN ('Tax', 'Credit'))"
    assert all(r.effective_from is None and r.effective_to is None for r in ruleset.rules)
    assert len(ruleset.content_hash) == 64
    assert int(ruleset.content_hash, 16) >= 0
    assert default_rules().content_hash == ruleset.content_hash
    assert default_rules("spark").content_hash == ruleset.content_hash
    json.dumps(ruleset.to_dbt_vars())


def test_default_rules_exclude_unused_commitments(con: duckdb.DuckDBPyConnection) -> None:
    tagged, usage, taxes = default_rules().rules
    assert matching_ids(con, tagged.match_sql) == [1, 2, 3, 5]
    assert matching_ids(con, usage.match_sql) == [1, 2, 3, 5]
    assert matching_ids(con, taxes.match_sql) == [3, 5]


def test_default_rules_for_spark() -> None:
    assert [r.match_sql for r in default_rules("spark").rules] == [
        r.match_sql for r in default_rules().rules
    ]


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
                "supported: tag, usage, even, proportional_to_cost",
            ],
        ),
        (
            rules_yaml("{name: a, method: weighted}"),
            [
                (
                    "rule 'a': method 'weighted' is not supported yet; "
                    "supported: tag, usage, even, proportional_to_cost"
                )
            ],
        ),
        (rules_yaml("{name: a, method: fixed}"), ["method 'fixed' is not supported yet"]),
        (rules_yaml("{name: a, method: revenue}"), ["method 'revenue' is not supported yet"]),
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
                    "columns, literals, comparisons, AND/OR/NOT, IN, LIKE, IS NULL)"
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
    assert METHODS == ("tag", "usage", "even", "proportional_to_cost")
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
    """Lower-case and unquote identifiers, and spell numbers the way rules.py does."""

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
