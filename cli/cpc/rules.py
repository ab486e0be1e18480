"""Allocation rules: how shared cloud cost is attributed to customers.

Users describe the allocation in ``allocation.yml``::

    customer_tag_key: customer_id          # optional, default "customer_id"
    rules:                                  # in order; for each charge-day the first
      - name: tagged                        # rule that matches AND can place it wins
        method: tag
      - name: compute-by-cpu
        match: "service_category = 'Compute'"
        method: usage
        metric: cpu_core_hours
      - name: platform
        match: "service_name = 'AWS CloudTrail'"
        method: even
        effective_from: 2024-01-01          # inclusive; effective_to is exclusive
      - name: taxes
        match: "charge_category in ('Tax', 'Credit')"
        method: proportional_to_cost

The file is validated strictly (unknown keys, bad methods, unsafe or unknown SQL are
rejected with one-line :class:`~cpc.errors.UserError` messages) and handed to dbt as
project variables (see :meth:`RuleSet.to_dbt_vars`); the SQL models loop over the rules
in Jinja.

Rule keys
---------
``name``
    Required, unique (case-insensitively), ``[A-Za-z0-9_-]+``, at most 64 characters.
``method``
    Required, one of :data:`METHODS`:

    * ``tag`` -- the charge carries the customer tag (``customer_tag_key``).
    * ``usage`` -- split by each customer's usage of ``metric``.
    * ``even`` -- split evenly across the customers.
    * ``proportional_to_cost`` -- split in proportion to the cost already attributed.
``match``
    Optional SQL condition over the snake_case FOCUS columns in :data:`ALLOWED_COLUMNS`.
    Only columns, string/number literals, TRUE/FALSE/NULL, comparisons
    (``= <> != < <= > >=``), AND/OR/NOT, parentheses, ``[NOT] IN (literals)``,
    ``[NOT] LIKE``/``ILIKE 'pattern'`` and ``IS [NOT] NULL`` are accepted. The condition
    is parsed (DuckDB syntax), checked, and re-rendered for the target dialect. Without
    ``match`` a rule matches every charge.
``metric``
    Only for ``usage``: the telemetry metric to split by (``[A-Za-z0-9_.:-]+``). When
    omitted the metric is None, meaning "the service's only telemetry metric".
``effective_from`` / ``effective_to``
    Optional ISO dates (``YYYY-MM-DD``); ``effective_from`` is inclusive,
    ``effective_to`` exclusive.
``description``
    Optional free text, for people.

Default rules
-------------
Used when no ``allocation.yml`` is given (customer tag key ``customer_id``):

1. ``tagged`` -- method ``tag``; match
   ``commitment_discount_status is null or commitment_discount_status <> 'Unused'``.
2. ``usage-by-service`` -- method ``usage``, metric None (the service's only telemetry
   metric); same match (unused commitments are excluded).
3. ``taxes-and-credits`` -- method ``proportional_to_cost``; match
   ``charge_category in ('Tax', 'Credit')``.

Everything else stays unattributed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from cpc.errors import UserError

#: The snake_case FOCUS charge columns a ``match`` predicate may reference.
ALLOWED_COLUMNS: tuple[str, ...] = (
    "billing_account_id",
    "billing_account_name",
    "billing_currency",
    "charge_category",
    "charge_class",
    "charge_description",
    "charge_frequency",
    "commitment_discount_category",
    "commitment_discount_id",
    "commitment_discount_status",
    "commitment_discount_type",
    "consumed_unit",
    "pricing_category",
    "pricing_unit",
    "provider_name",
    "publisher_name",
    "invoice_issuer_name",
    "region_id",
    "region_name",
    "availability_zone",
    "resource_id",
    "resource_name",
    "resource_type",
    "service_category",
    "service_subcategory",
    "service_name",
    "sku_id",
    "sku_price_id",
    "sub_account_id",
    "sub_account_name",
    "billed_cost",
    "effective_cost",
    "list_cost",
    "consumed_quantity",
    "pricing_quantity",
)

#: The numeric columns among :data:`ALLOWED_COLUMNS`; all others are text.
NUMERIC_COLUMNS: frozenset[str] = frozenset(
    {"billed_cost", "effective_cost", "list_cost", "consumed_quantity", "pricing_quantity"}
)

#: Allocation methods, in the order they are documented.
METHODS: tuple[str, ...] = ("tag", "usage", "even", "proportional_to_cost")

#: Methods that are planned but not implemented yet (rejected with a specific message).
FUTURE_METHODS: tuple[str, ...] = ("weighted", "fixed", "revenue")

#: SQL dialects a ``match`` predicate can be rendered for.
DIALECTS: tuple[str, ...] = ("duckdb", "spark")

#: Customer tag key used when the file does not set one.
DEFAULT_CUSTOMER_TAG_KEY = "customer_id"

#: Keys allowed at the top level of ``allocation.yml``.
TOP_LEVEL_KEYS: tuple[str, ...] = ("customer_tag_key", "rules")

#: Keys allowed in a rule.
RULE_KEYS: tuple[str, ...] = (
    "name",
    "method",
    "match",
    "metric",
    "effective_from",
    "effective_to",
    "description",
)

#: The dialect user-written ``match`` predicates are read in.
READ_DIALECT = "duckdb"

_NOT_UNUSED_COMMITMENT = (
    "commitment_discount_status is null or commitment_discount_status <> 'Unused'"
)

#: The default rules as they would be written in allocation.yml.
_DEFAULT_SPEC: dict[str, Any] = {
    "customer_tag_key": DEFAULT_CUSTOMER_TAG_KEY,
    "rules": [
        {"name": "tagged", "method": "tag", "match": _NOT_UNUSED_COMMITMENT},
        {"name": "usage-by-service", "method": "usage", "match": _NOT_UNUSED_COMMITMENT},
        {
            "name": "taxes-and-credits",
            "method": "proportional_to_cost",
            "match": "charge_category in ('Tax', 'Credit')",
        },
    ],
}

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_NAME_MAX = 64
_METRIC_RE = re.compile(r"[A-Za-z0-9_.:-]+")
_TAG_KEY_RE = re.compile(r"[\w .:/=+@-]+")
_TAG_KEY_MAX = 128
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER_RE = re.compile(r"(\d*)(?:\.(\d*))?([eE][+-]?\d+)?")
_JINJA_MARKERS = ("{{", "{%", "{#")
_ALLOWED_SUMMARY = "columns, literals, comparisons, AND/OR/NOT, IN, LIKE, IS NULL"
_SNIPPET_MAX = 60

_COMPARISONS: tuple[type[exp.Expression], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One validated allocation rule.

    Attributes:
        name: Unique rule name (``[A-Za-z0-9_-]+``).
        method: One of :data:`METHODS`.
        match_sql: The predicate rendered for the target dialect and wrapped in
            parentheses; ``"true"`` when the rule has no ``match`` (a match that is just
            TRUE/FALSE also renders bare, as ``true``/``false``).
        metric: Usage metric for ``usage`` rules; None means the service's only metric
            (always None for other methods).
        effective_from: First charge day the rule applies to (inclusive), or None.
        effective_to: Charge day from which the rule no longer applies (exclusive), or None.
        position: 1-based position in the rule list (rules are tried in this order).
        match: The predicate as the user wrote it, or None.
        description: Optional free text from the file.
    """

    name: str
    method: str
    match_sql: str
    metric: str | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    position: int
    match: str | None = None
    description: str | None = None

    def to_dbt_var(self) -> dict[str, Any]:
        """Return the rule as a plain JSON-able dict for the ``cpc_rules`` dbt variable."""
        return {
            "name": self.name,
            "method": self.method,
            "match_sql": self.match_sql,
            "metric": self.metric,
            "effective_from": _iso(self.effective_from),
            "effective_to": _iso(self.effective_to),
            "position": self.position,
        }


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """A validated, ordered set of allocation rules.

    Attributes:
        customer_tag_key: The resource tag key holding the customer id.
        rules: The rules, in the order they are tried.
        source: ``"default"`` or the path of the allocation file (as given).
        content_hash: sha256 hex of the file bytes, or of a canonical JSON of the
            default rules.
        dialect: The dialect the ``match_sql`` predicates were rendered for.
    """

    customer_tag_key: str
    rules: list[Rule]
    source: str
    content_hash: str
    dialect: str = READ_DIALECT

    def to_dbt_vars(self) -> dict[str, Any]:
        """Return the dbt project variables describing this rule set (JSON-able)."""
        return {
            "cpc_customer_tag_key": self.customer_tag_key,
            "cpc_rules": [rule.to_dbt_var() for rule in self.rules],
            "cpc_rules_hash": self.content_hash,
            "cpc_rules_source": self.source,
        }


class _Problem(Exception):
    """A validation problem, phrased without the file/rule context."""


# --------------------------------------------------------------------------- loading


def default_rules(dialect: str = READ_DIALECT) -> RuleSet:
    """Return the built-in rule set (see the module docstring) rendered for ``dialect``."""
    _check_dialect(dialect)
    canonical = json.dumps(_DEFAULT_SPEC, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return _build(
        _DEFAULT_SPEC, where="default rules", source="default", digest=digest, dialect=dialect
    )


def load_rules(path: Path | None, dialect: str = READ_DIALECT) -> RuleSet:
    """Load and validate an allocation file, or return the defaults when ``path`` is None.

    Args:
        path: The ``allocation.yml`` to read, or None for :func:`default_rules`.
        dialect: Target SQL dialect for the rendered predicates (``duckdb`` or ``spark``).

    Raises:
        UserError: One line naming the file, the rule and the problem.
    """
    _check_dialect(dialect)
    if path is None:
        return default_rules(dialect)
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{where}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{where}: is a directory, expected an allocation YAML file") from None
    except OSError as err:
        raise UserError(f"{where}: cannot read file ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text") from None
    data = _parse_yaml(text, where)
    return _build(
        data, where=where, source=where, digest=hashlib.sha256(raw).hexdigest(), dialect=dialect
    )


def _check_dialect(dialect: str) -> None:
    """Reject dialects we cannot render for."""
    if dialect not in DIALECTS:
        raise UserError(f"unsupported SQL dialect {dialect!r} (supported: {', '.join(DIALECTS)})")


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys and reports bad dates with a line number."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing duplicate keys."""
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: the base constructor reports it
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        """Build a date/datetime, turning impossible dates into a marked YAML error."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r} ({err})", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text, turning every failure into a one-line UserError."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = err.problem or err.context or "invalid YAML"
        raise UserError(_one_line(f"{where}:{line} invalid YAML: {problem}")) from None
    except yaml.YAMLError as err:
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None
    except RecursionError:
        raise UserError(f"{where}: invalid YAML: nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - never show a traceback for a bad file
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None


def _build(data: Any, *, where: str, source: str, digest: str, dialect: str) -> RuleSet:
    """Validate parsed YAML data and build the RuleSet."""
    if data is None:
        raise UserError(f"{where}: file is empty; expected a mapping with a 'rules' list")
    if not isinstance(data, dict):
        raise UserError(
            f"{where}: top level must be a mapping with 'customer_tag_key' and 'rules', "
            f"not {_type_name(data)}"
        )
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise UserError(
                f"{where}: unknown top-level key {_show(key)}{_did_you_mean(key, TOP_LEVEL_KEYS)}"
                f" (allowed: {', '.join(TOP_LEVEL_KEYS)})"
            )
    tag_key = _customer_tag_key(data.get("customer_tag_key", DEFAULT_CUSTOMER_TAG_KEY), where)
    if "rules" not in data:
        raise UserError(f"{where}: 'rules' is missing; list at least one rule")
    items = data["rules"]
    if not isinstance(items, list):
        raise UserError(f"{where}: 'rules' must be a list of rules, not {_type_name(items)}")
    if not items:
        raise UserError(f"{where}: 'rules' is empty; list at least one rule")

    rules: list[Rule] = []
    first_by_name: dict[str, int] = {}
    for position, item in enumerate(items, start=1):
        rule = _rule(item, position, where, dialect)
        key = rule.name.lower()
        if key in first_by_name:
            raise UserError(
                f"{where}: rule '{rule.name}' (#{position}): duplicate name; "
                f"rule #{first_by_name[key]} already uses it (names are case-insensitive)"
            )
        first_by_name[key] = position
        rules.append(rule)
    return RuleSet(
        customer_tag_key=tag_key, rules=rules, source=source, content_hash=digest, dialect=dialect
    )


def _customer_tag_key(value: Any, where: str) -> str:
    """Validate ``customer_tag_key``: a plain tag key without quotes or other SQL specials."""
    if not isinstance(value, str):
        raise UserError(f"{where}: customer_tag_key must be text, not {_type_name(value)}")
    if not value.strip():
        raise UserError(f"{where}: customer_tag_key is empty")
    if len(value) > _TAG_KEY_MAX or not _TAG_KEY_RE.fullmatch(value):
        raise UserError(
            f"{where}: customer_tag_key {_show(value)} is not a valid tag key (letters, digits, "
            f"spaces and _ . : / = + - @ only, at most {_TAG_KEY_MAX} characters)"
        )
    return value


def _rule(item: Any, position: int, where: str, dialect: str) -> Rule:
    """Validate one rule mapping."""
    label = f"rule #{position}"
    if not isinstance(item, dict):
        raise UserError(
            f"{where}: {label}: must be a mapping with name and method, not {_type_name(item)}"
        )
    name = item.get("name")
    if name is None:
        raise UserError(f"{where}: {label}: name is required")
    if not isinstance(name, str):
        raise UserError(f"{where}: {label}: name must be text, not {_type_name(name)}")
    if not name:
        raise UserError(f"{where}: {label}: name is empty")
    if not _NAME_RE.fullmatch(name):
        raise UserError(
            f"{where}: {label}: name {_show(name)} may only use letters, digits, '-' and '_'"
        )
    if len(name) > _NAME_MAX:
        raise UserError(f"{where}: {label}: name is longer than {_NAME_MAX} characters")
    label = f"rule '{name}'"

    def fail(problem: str) -> UserError:
        return UserError(_one_line(f"{where}: {label}: {problem}"))

    for key in item:
        if key not in RULE_KEYS:
            raise fail(
                f"unknown key {_show(key)}{_did_you_mean(key, RULE_KEYS)}"
                f" (allowed: {', '.join(RULE_KEYS)})"
            )

    method = item.get("method")
    if method is None:
        raise fail(f"method is required (one of: {', '.join(METHODS)})")
    if not isinstance(method, str):
        raise fail(f"method must be text, not {_type_name(method)}")
    if method in FUTURE_METHODS:
        raise fail(f"method '{method}' is not supported yet; supported: {', '.join(METHODS)}")
    if method not in METHODS:
        raise fail(
            f"unknown method {_show(method)}{_did_you_mean(method, METHODS)}"
            f"; supported: {', '.join(METHODS)}"
        )

    metric = item.get("metric")
    if "metric" in item:
        if method != "usage":
            raise fail(f"metric is only allowed with method 'usage', not '{method}'")
        if metric is not None:
            if not isinstance(metric, str):
                raise fail(f"metric must be text, not {_type_name(metric)}")
            if not _METRIC_RE.fullmatch(metric):
                raise fail(f"metric {_show(metric)} may only use letters, digits and _ . : -")

    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise fail(f"description must be text, not {_type_name(description)}")

    try:
        effective_from = _date(item.get("effective_from"), "effective_from")
        effective_to = _date(item.get("effective_to"), "effective_to")
    except _Problem as problem:
        raise fail(str(problem)) from None
    if effective_from and effective_to and effective_from >= effective_to:
        raise fail(
            f"effective_from ({effective_from}) must be before effective_to ({effective_to});"
            " effective_to is exclusive"
        )

    match = item.get("match")
    if "match" in item and match is None:
        raise fail("match is empty; remove it to match every charge")
    if match is None:
        match_sql = "true"
    else:
        if not isinstance(match, str):
            raise fail(f"match must be a SQL condition written as text, not {_type_name(match)}")
        try:
            match_sql = _compile(match, dialect)
        except _Problem as problem:
            raise fail(str(problem)) from None

    return Rule(
        name=name,
        method=method,
        match_sql=match_sql,
        metric=metric,
        effective_from=effective_from,
        effective_to=effective_to,
        position=position,
        match=match,
        description=description,
    )


def _date(value: Any, key: str) -> dt.date | None:
    """Parse an effective date given as a YAML date or an ISO ``YYYY-MM-DD`` string."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise _Problem(f"{key} must be a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as err:
            raise _Problem(f"{key} {_show(value)} is not a valid date ({err})") from None
    raise _Problem(f"{key} {_show(value)} is not a date; write it as YYYY-MM-DD")


# --------------------------------------------------------------------------- predicates


def compile_match(text: str, dialect: str = READ_DIALECT) -> str:
    """Validate a ``match`` predicate and render it, parenthesised, for ``dialect``.

    The predicate is read as DuckDB SQL, checked against the allowed grammar (see the
    module docstring) and rebuilt from scratch, so only whitelisted syntax reaches dbt.
    Columns come out lower-case and unquoted; a bare TRUE/FALSE comes out as
    ``true``/``false`` without parentheses (Spark would read ``WHERE (TRUE)`` after a
    table name as a column-alias list).

    Raises:
        UserError: When the predicate is not allowed (one line, without file context).
    """
    _check_dialect(dialect)
    if not isinstance(text, str):
        raise UserError(f"match must be text, not {_type_name(text)}")
    try:
        return _compile(text, dialect)
    except _Problem as problem:
        raise UserError(_one_line(str(problem))) from None


def _compile(text: str, dialect: str) -> str:
    """Parse, check, rebuild and render one predicate; raise _Problem when not allowed."""
    if not text.strip():
        raise _Problem("match is empty; remove it to match every charge")
    for marker in _JINJA_MARKERS:
        if marker in text:
            raise _Problem(f"{marker!r} is not allowed in match (no Jinja templating)")
    try:
        tokens = sqlglot.Dialect.get_or_raise(READ_DIALECT).tokenize(text)
    except TokenError:
        raise _Problem(
            f"could not read match {_show(text)} (unterminated string or stray character?)"
        ) from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"could not read match {_show(text)}") from None
    for token in tokens:
        if token.comments:
            raise _Problem("comments are not allowed in match")
        if token.token_type == TokenType.SEMICOLON:
            raise _Problem("';' is not allowed in match: write one condition, not statements")
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except ParseError as err:
        raise _Problem(_parse_error(err)) from None
    except RecursionError:
        raise _Problem("match is nested too deeply") from None
    except Exception:  # noqa: BLE001 - junk must never produce a traceback
        raise _Problem(f"match {_show(text)} is not a valid SQL condition") from None
    if len(statements) != 1:
        raise _Problem("match must be a single SQL condition")
    try:
        tree = _Checker().condition(statements[0])
    except RecursionError:
        raise _Problem("match is nested too deeply") from None
    return _render(tree, dialect)


def _render(tree: exp.Expression, dialect: str) -> str:
    """Render a checked tree for ``dialect`` and make sure it reads back identically."""
    try:
        sql = tree.sql(dialect=dialect, comments=False)
        again = sqlglot.parse_one(sql, read=dialect)
    except Exception:  # noqa: BLE001 - a rendering bug must still be a clean error
        raise _Problem(f"match could not be rendered for {dialect}") from None
    if again != tree:
        raise _Problem(f"match does not render unambiguously for {dialect}: {_show(sql)}")
    for marker in _JINJA_MARKERS:
        if marker in sql:
            raise _Problem(f"{marker!r} is not allowed in match (no Jinja templating)")
    core = tree
    while isinstance(core, exp.Paren):
        core = core.this
    if isinstance(core, exp.Boolean):
        # Bare, because Spark reads "FROM t WHERE (TRUE)" as a column-alias list.
        return "true" if core.this else "false"
    return f"({sql})"


def _parse_error(err: ParseError) -> str:
    """Summarise a sqlglot ParseError as one line."""
    if err.errors:
        first = err.errors[0]
        description = str(first.get("description") or "syntax error")
        if "Required keyword" in description or "<class" in description:
            description = "incomplete condition"
        highlight = str(first.get("highlight") or "").strip()
        near = f" near {_show(highlight)}" if highlight else ""
        return f"match is not a valid SQL condition: {description}{near}"
    return "match is not a valid SQL condition"


class _Checker:
    """Rebuilds a parsed predicate from whitelisted node types only.

    ``condition`` handles boolean positions, ``value`` handles operands; each returns a
    fresh tree built from scratch (no comments, metadata or unexpected arguments), and
    ``value`` also returns the operand's kind: ``"text"``, ``"number"`` or ``"null"``.
    """

    def condition(self, node: exp.Expression) -> exp.Expression:
        """Check and rebuild a node in a boolean position."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            return exp.Paren(this=self.condition(node.this))
        if isinstance(node, (exp.And, exp.Or)):
            self._only(node, "this", "expression")
            return type(node)(
                this=self.condition(node.this), expression=self.condition(node.expression)
            )
        if isinstance(node, exp.Not):
            self._only(node, "this")
            return exp.Not(this=self.condition(node.this))
        if isinstance(node, exp.Boolean):
            self._only(node, "this")
            return exp.Boolean(this=bool(node.this))
        if isinstance(node, _COMPARISONS):
            return self._comparison(node)
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, (exp.Like, exp.ILike)):
            return self._like(node)
        if isinstance(node, exp.Is):
            return self._is(node)
        if isinstance(node, exp.Alias):
            raise _Problem(
                f"unexpected {_show(node.alias)} after {_show(_snippet(node.this))} in match"
                " (missing AND/OR, or text without 'single quotes'?)"
            )
        if isinstance(node, exp.Null):
            raise _Problem("NULL on its own is not a condition; use 'column IS NULL'")
        if isinstance(node, (exp.Column, exp.Literal)):
            raise _Problem(
                f"{_show(_snippet(node))} is not a condition; compare it, e.g. "
                "service_name = 'Amazon EC2'"
            )
        raise self._not_allowed(node)

    def value(self, node: exp.Expression) -> tuple[exp.Expression, str]:
        """Check and rebuild an operand; return it with its kind."""
        if isinstance(node, exp.Paren):
            self._only(node, "this")
            inner, kind = self.value(node.this)
            return exp.Paren(this=inner), kind
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Literal):
            return self._literal(node)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            self._only(node, "this")
            literal, kind = self._literal(node.this)
            if kind != "number":
                raise self._not_allowed(node)
            return exp.Neg(this=literal), kind
        if isinstance(node, exp.Null):
            return exp.Null(), "null"
        if isinstance(node, exp.Boolean):
            raise _Problem(
                f"{_show(_snippet(node))} can only be used as a whole condition, not compared"
            )
        raise self._not_allowed(node)

    def _comparison(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a <op> b`` after checking both operands have compatible kinds."""
        self._only(node, "this", "expression")
        left, left_kind = self.value(node.this)
        right, right_kind = self.value(node.expression)
        if "null" in (left_kind, right_kind):
            raise _Problem(f"{_show(_snippet(node))} is never true; use 'IS NULL' / 'IS NOT NULL'")
        self._same_kind(node, left_kind, right_kind)
        return type(node)(this=left, expression=right)

    def _in(self, node: exp.In) -> exp.Expression:
        """Rebuild ``a [NOT] IN (literal, ...)``."""
        self._only(node, "this", "expressions")
        left, left_kind = self.value(node.this)
        items: list[exp.Expression] = []
        for item in node.expressions:
            if isinstance(item, exp.Null):
                raise _Problem(
                    f"NULL in an IN list never matches (and breaks NOT IN); "
                    f"use 'IS NULL' instead: {_show(_snippet(node))}"
                )
            if not isinstance(item, (exp.Literal, exp.Neg)):
                raise _Problem(
                    f"{_show(_snippet(item))} is not allowed in an IN list (literals only)"
                )
            rebuilt, kind = self.value(item)
            self._same_kind(node, left_kind, kind)
            items.append(rebuilt)
        if not items:
            raise _Problem(f"{_show(_snippet(node))}: the IN list is empty")
        return exp.In(this=left, expressions=items)

    def _like(self, node: exp.Expression) -> exp.Expression:
        """Rebuild ``a [NOT] LIKE|ILIKE 'pattern'`` (text operand, literal pattern)."""
        self._only(node, "this", "expression", "negate")
        left, left_kind = self.value(node.this)
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise _Problem(
                f"{_show(_snippet(node))}: the LIKE pattern must be a 'quoted' text literal"
            )
        if "\\" in pattern.this:
            raise _Problem(
                f"{_show(_snippet(node))}: backslashes in LIKE patterns are not allowed "
                "(DuckDB and Spark treat them differently)"
            )
        if left_kind not in ("text", "null"):
            raise _Problem(f"{_show(_snippet(node))}: LIKE needs text, not a number")
        kwargs: dict[str, Any] = {"this": left, "expression": exp.Literal.string(pattern.this)}
        if node.args.get("negate"):
            kwargs["negate"] = True
        return type(node)(**kwargs)

    def _is(self, node: exp.Is) -> exp.Expression:
        """Rebuild ``a IS [NOT] NULL``."""
        self._only(node, "this", "expression", "negate")
        if not isinstance(node.expression, exp.Null):
            raise self._not_allowed(node)
        left, _kind = self.value(node.this)
        rebuilt = exp.Is(this=left, expression=exp.Null())
        return exp.Not(this=rebuilt) if node.args.get("negate") else rebuilt

    def _column(self, node: exp.Column) -> tuple[exp.Expression, str]:
        """Rebuild an unqualified, known column as a lower-case unquoted identifier."""
        if any(node.args.get(part) for part in ("table", "db", "catalog")):
            raise _Problem(
                f"qualified column {_show(_snippet(node))} is not allowed in match; "
                "use the bare column name"
            )
        self._only(node, "this")
        ident = node.this
        if not isinstance(ident, exp.Identifier) or not isinstance(ident.this, str):
            raise self._not_allowed(node)
        self._only(ident, "this", "quoted")
        name = ident.this.lower()
        if name not in ALLOWED_COLUMNS:
            close = difflib.get_close_matches(name, ALLOWED_COLUMNS, n=3, cutoff=0.6)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else f"; allowed columns: {', '.join(ALLOWED_COLUMNS)}"
            )
            quoted = (
                " (text values need 'single quotes', not \"double quotes\")"
                if ident.args.get("quoted")
                else ""
            )
            raise _Problem(f"unknown column {_show(ident.this)} in match{quoted}{hint}")
        kind = "number" if name in NUMERIC_COLUMNS else "text"
        return exp.column(name, quoted=False), kind

    def _literal(self, node: exp.Literal) -> tuple[exp.Expression, str]:
        """Rebuild a string or number literal."""
        self._only(node, "this", "is_string")
        value = node.this
        if not isinstance(value, str):
            raise self._not_allowed(node)
        if node.is_string:
            if "\x00" in value:
                raise _Problem("NUL characters are not allowed in match")
            return exp.Literal.string(value), "text"
        match = _NUMBER_RE.fullmatch(value)
        if not match or not (match.group(1) or match.group(2)):
            raise self._not_allowed(node)
        whole, fraction, exponent = match.group(1) or "0", match.group(2), match.group(3)
        number = whole + (f".{fraction}" if fraction else "") + (exponent or "")
        return exp.Literal.number(number), "number"

    @staticmethod
    def _same_kind(node: exp.Expression, left: str, right: str) -> None:
        """Refuse comparing text with numbers (DuckDB fails at run time, Spark silently)."""
        if "null" in (left, right) or left == right:
            return
        raise _Problem(
            f"{_show(_snippet(node))} compares text with a number (text values need "
            f"'single quotes'; numeric columns {', '.join(sorted(NUMERIC_COLUMNS))} "
            "need plain numbers)"
        )

    def _only(self, node: exp.Expression, *allowed: str) -> None:
        """Refuse nodes carrying arguments outside ``allowed`` (e.g. IN (subquery))."""
        for key, value in node.args.items():
            if key not in allowed and value not in (None, False, [], ""):
                raise self._not_allowed(node)

    @staticmethod
    def _not_allowed(node: exp.Expression) -> _Problem:
        """The generic "not allowed" problem for ``node``."""
        return _Problem(
            f"{_show(_snippet(node))} is not allowed in match (allowed: {_ALLOWED_SUMMARY})"
        )


# --------------------------------------------------------------------------- helpers


def _snippet(node: Any) -> str:
    """A short SQL rendering of ``node`` for error messages."""
    if not isinstance(node, exp.Expression):
        return str(node)
    try:
        text = node.sql(dialect=READ_DIALECT, normalize_functions="lower", comments=False)
    except Exception:  # noqa: BLE001 - best effort, for messages only
        text = type(node).__name__
    return text or type(node).__name__


def _show(value: Any) -> str:
    """Quote a user value for a one-line message, shortened if long."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    if len(text) > _SNIPPET_MAX:
        text = text[: _SNIPPET_MAX - 3] + "..."
    return f"'{text}'"


def _one_line(message: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(message.split())


def _type_name(value: Any) -> str:
    """Describe a YAML value's type in user terms."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    if value is None:
        return "empty"
    return type(value).__name__


def _did_you_mean(value: Any, options: tuple[str, ...]) -> str:
    """Suggest the closest option to a misspelt key or method."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _iso(value: dt.date | None) -> str | None:
    """Format a date as YYYY-MM-DD, passing None through."""
    return value.isoformat() if value is not None else None
