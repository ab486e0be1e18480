"""Stand-ins for dbt's Jinja context, so that sqlfluff's jinja templater renders this project's SQL.

sqlfluff (templater = jinja, see .sqlfluff) loads every macro under macros/ by its bare name and
puts each public name of this package into the Jinja context. Models call their macros as
`cost_per_customer.<name>(...)` and the macros dispatch with `adapter.dispatch(...)`: both resolve
here to the macros sqlfluff loaded, `duckdb__<name>` first, then `default__<name>`, as dbt does on
the duckdb target. `var()` returns what `cpc build` passes for .sqlfluff_libs/allocation.yml (every
allocation method once and a surcharge, converted by the project's cpc.rules) over the defaults in
dbt_project.yml. So the linted SQL is what `dbt compile --target duckdb` produces for those rules.
Only dbt itself is stubbed (relations, types, target, ...), plus the macros in _LINT_STAND_INS.
"""

from __future__ import annotations

import datetime as _datetime
import hashlib as _hashlib
import itertools as _itertools
import json as _json
import os as _os
import re as _re
from pathlib import Path as _Path
from types import SimpleNamespace as _SimpleNamespace
from typing import Any as _Any

import yaml as _yaml
from jinja2 import pass_context as _pass_context
from jinja2.exceptions import TemplateError as _TemplateError
from jinja2.utils import missing as _missing

_PROJECT_DIR = _Path(__file__).resolve().parents[2]
_ADAPTER_TYPE = "duckdb"
_MISSING = object()


class _CompilationError(_TemplateError):
    """A dbt compilation error (raise_compiler_error, an unknown macro or var): sqlfluff reports it
    as a templating violation (TMP) of the file."""


def _project_vars() -> dict[str, _Any]:
    with open(_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        project_vars = (_yaml.safe_load(handle) or {}).get("vars") or {}
    from cpc.rules import load_rules  # the project's own rule validation, as `cpc build` uses it

    rules = load_rules(
        _Path(__file__).resolve().parents[1] / "allocation.yml", dialect=_ADAPTER_TYPE
    )
    return {**project_vars, **rules.to_dbt_vars()}


_VARS = _project_vars()


def _resolve_macro(context: _Any, name: str) -> _Any:
    """The macro dbt would dispatch to on the duckdb target, looked up in the Jinja context."""
    for candidate in (f"{_ADAPTER_TYPE}__{name}", f"default__{name}"):
        macro = context.resolve_or_missing(candidate)
        if macro is not _missing:
            return macro
    raise _CompilationError(
        f"adapter.dispatch: no macro default__{name} (nor {_ADAPTER_TYPE}__{name})"
    )


def _key_value_records_to_map(records: str) -> str:
    # sqlfluff 4.5's duckdb grammar does not parse DuckDB's two-parameter `lambda x, i: ...` that
    # default__key_value_records_to_map uses; lint a same-typed expression in its place.
    return f"map_from_entries({records})"


#: Macros whose DuckDB output sqlfluff cannot parse, with what the lint renders instead. The
#: macros themselves are tested by dbt (unit and data tests); the lint is about the models.
_LINT_STAND_INS = {"key_value_records_to_map": _key_value_records_to_map}


class _MacroNamespace:
    """`cost_per_customer.<macro>`: the project's own macro of that name (as loaded by sqlfluff)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> _Any:
        if name.startswith("_"):
            raise AttributeError(name)

        if name in _LINT_STAND_INS:
            return _LINT_STAND_INS[name]

        @_pass_context
        def call_macro(context: _Any, *args: _Any, **kwargs: _Any) -> _Any:
            macro = context.resolve_or_missing(name)
            if macro is _missing:
                raise _CompilationError(f"sqlfluff dbt stubs: no macro {self._name}.{name}")
            # Through the environment, so that a macro's {{ return(...) }} ends that macro only.
            return context.environment.call(context, macro, *args, **kwargs)

        return call_macro

    def __iter__(self) -> _Any:
        # dbt iterates a namespace for its macro names (settings_fingerprint); none are needed here.
        return iter(())

    def __repr__(self) -> str:
        return self._name


class _Adapter:
    """`adapter.dispatch(name, namespace)` -> duckdb__name, else default__name (dbt's order)."""

    type = _ADAPTER_TYPE

    @_pass_context
    def dispatch(self, context: _Any, macro_name: str, macro_namespace: str | None = None) -> _Any:
        if macro_namespace == "dbt":
            return getattr(dbt, macro_name)
        return _resolve_macro(context, macro_name)

    @staticmethod
    def quote(identifier: str) -> str:
        return f'"{identifier}"'

    @staticmethod
    def get_relation(database: str | None = None, schema: str | None = None, identifier: str | None = None) -> None:
        return None  # as on a warehouse not built yet

    @staticmethod
    def get_columns_in_relation(relation: _Any) -> list[_Any]:
        return []


def _datediff(first_date: str, second_date: str, datepart: str) -> str:
    # dbt-duckdb's duckdb__datediff
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"


def _dateadd(datepart: str, interval: str, from_date_or_timestamp: str) -> str:
    # dbt-duckdb's duckdb__dateadd
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def _raise_compiler_error(message: str) -> None:
    raise _CompilationError(message)


def var(name: str, default: _Any = _MISSING) -> _Any:
    """dbt's var(): the value set for the lint (see the module docstring), else the call's default."""
    if name in _VARS:
        return _VARS[name]
    if default is _MISSING:
        raise _CompilationError(f"Required var '{name}' not found in dbt_project.yml")
    return default


def env_var(name: str, default: _Any = _MISSING) -> _Any:
    if name in _os.environ:
        return _os.environ[name]
    if default is _MISSING:
        raise _CompilationError(f"Env var required but not provided: '{name}'")
    return default


def log(message: _Any, info: bool = False) -> str:
    return ""


cost_per_customer = _MacroNamespace("cost_per_customer")
adapter = _Adapter()
dbt = _SimpleNamespace(
    type_string=lambda: "text",
    type_timestamp=lambda: "timestamp",
    type_int=lambda: "integer",
    type_bigint=lambda: "bigint",
    type_float=lambda: "float",
    type_numeric=lambda: "numeric(28, 6)",
    type_boolean=lambda: "boolean",
    current_timestamp=lambda: "now()",
    datediff=_datediff,
    dateadd=_dateadd,
)
target = _SimpleNamespace(
    type=_ADAPTER_TYPE, name=_ADAPTER_TYPE, schema="main", database="warehouse", threads=1
)
modules = _SimpleNamespace(re=_re, datetime=_datetime, itertools=_itertools)
exceptions = _SimpleNamespace(raise_compiler_error=_raise_compiler_error, warn=log)
execute = True
flags = _SimpleNamespace(FULL_REFRESH=False, WHICH="build")
run_started_at = _datetime.datetime(2024, 1, 1, tzinfo=_datetime.UTC)
invocation_id = "00000000-0000-0000-0000-000000000000"
project_name = "cost_per_customer"
model = _SimpleNamespace(name="linted_model", resource_type="model")
graph = {"nodes": {}, "sources": {}}


def local_md5(text: str) -> str:
    return _hashlib.md5(text.encode("utf-8")).hexdigest()


def tojson(value: _Any) -> str:
    return _json.dumps(value, sort_keys=True)
