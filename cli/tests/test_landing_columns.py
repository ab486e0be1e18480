"""Landed columns have one home: the billing formats (cpc.formats) and the landing table specs.

The sources YAML documents exactly the columns that land, and the staging models read no column
that does not land; both are checked against :func:`cpc.landing.landed_columns`.
"""

from __future__ import annotations

import ast
import re

import pytest
import yaml
from cpc import PROJECT_DIR
from cpc.formats import FORMATS
from cpc.landing import landed_columns

#: The staging folder of each billing format, and the model that reads its table (the base model,
#: in the folder's base/, where the format has one).
STAGING = {
    "focus": ("focus", "stg_focus__charges"),
    "aws_cur": ("aws", "base_aws__cost_and_usage"),
    "azure": ("azure", "base_azure__cost_details"),
    "gcp": ("gcp", "base_gcp__billing_export"),
    "oci": ("oci", "stg_oci__cost_reports"),
}
#: A Jinja `set` of a literal list or dict: `{%- set name = [...] -%}`.
_JINJA_SET = re.compile(r"\{%-?\s*set\s+(\w+)\s*=\s*([\[{].*?[\]}])\s*-?%\}", re.DOTALL)


def _documented(folder: str, table: str) -> list[str]:
    """The column names the sources YAML of `folder` documents for `table`."""
    path = PROJECT_DIR / "models" / "staging" / folder / f"_{folder}__sources.yml"
    document = yaml.safe_load(path.read_text())
    tables = [t for source in document["sources"] for t in source["tables"] if t["name"] == table]
    assert len(tables) == 1, f"{path}: table {table} documented {len(tables)} times"
    return [column["name"] for column in tables[0].get("columns", [])]


def _strings(value: object) -> list[str]:
    """The strings of a literal list, or of a dict's values (its keys name outputs)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def _read_columns(sql: str) -> set[str]:
    """Landed columns a staging model names: the strings of its `*_columns` and `*_amounts`
    Jinja literals and every `source_rows.<column>` it writes."""
    names = {
        text
        for name, literal in _JINJA_SET.findall(sql)
        if name.endswith(("_columns", "_amounts"))
        for text in _strings(ast.literal_eval(literal))
    }
    return names | set(re.findall(r"\bsource_rows\.(\w+)", sql))


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
def test_sources_yaml_documents_exactly_the_landed_columns(fmt) -> None:
    folder, _ = STAGING[fmt.name]
    documented = _documented(folder, fmt.table)
    landed = landed_columns(fmt.table)
    assert len(documented) == len(set(documented)), f"{fmt.table}: a column is documented twice"
    assert sorted(set(landed) - set(documented)) == [], f"{fmt.table}: landed but not in the sources YAML"
    assert sorted(set(documented) - set(landed)) == [], f"{fmt.table}: in the sources YAML but not landed"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
def test_staging_models_read_only_landed_columns(fmt) -> None:
    folder, model = STAGING[fmt.name]
    [path] = (PROJECT_DIR / "models" / "staging" / folder).rglob(f"{model}.sql")
    sql = path.read_text()
    named = _read_columns(sql)
    assert named, f"{model}: no landed column found (has the model's shape changed?)"
    assert sorted(named - set(landed_columns(fmt.table))) == [], f"{model} reads columns that do not land"


def test_every_billing_format_has_a_staging_model() -> None:
    assert {fmt.name for fmt in FORMATS} == set(STAGING)
