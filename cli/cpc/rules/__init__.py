"""Allocation rules: ``allocation.yml`` loaded, validated and handed to dbt as project variables.

The file's keys, the methods, the predicate language and the default rules are described in
docs/allocation.md. The package is split by concern: :mod:`.spec` loads a file (or the default
rules), :mod:`.fields` and :mod:`.predicates` validate what is in it, :mod:`.surcharges` reads the
``surcharges:``, :mod:`.references` checks names against the landed data, :mod:`.diff` compares
two rule sets, and :mod:`.project` reads the enumerations written once in dbt_project.yml.
"""

from __future__ import annotations

from cpc.rules.diff import diff_rules
from cpc.rules.model import (
    ALLOWED_COLUMNS,
    CHARGE_DATE_COLUMN,
    CHARGE_DATE_SQL_COLUMN,
    COMMON_RULE_KEYS,
    DEFAULT_CUSTOMER_TAG_KEY,
    DIALECTS,
    FUTURE_METHODS,
    MAX_FX_GAP_DAYS,
    METHOD_KEYS,
    NUMERIC_COLUMNS,
    PRIVACY_DEFAULTS,
    PSEUDO_COLUMNS,
    READ_DIALECT,
    REMAINDER_UNATTRIBUTED,
    RULE_KEYS,
    SHARES_TOLERANCE,
    SURCHARGE_KEYS,
    TAG_COLUMN_PREFIX,
    TOP_LEVEL_KEYS,
    Rule,
    RuleSet,
    Surcharge,
    normalize_segment,
    tag_column,
)
from cpc.rules.predicates import compile_match
from cpc.rules.project import (
    COST_CATEGORIES,
    DEFAULT_FX_MAX_GAP_DAYS,
    DEFAULT_MAX_UNATTRIBUTED_SHARE,
    KUBERNETES_DEFAULTS,
    METHODS,
    RECONCILIATION_DEFAULTS,
    SHARE_IDLE_MODES,
    UNATTRIBUTED_REASONS,
    project_vars,
)
from cpc.rules.references import check_references
from cpc.rules.spec import DEFAULT_SPEC, default_rules, load_rules

__all__ = [
    "ALLOWED_COLUMNS",
    "CHARGE_DATE_COLUMN",
    "CHARGE_DATE_SQL_COLUMN",
    "COMMON_RULE_KEYS",
    "COST_CATEGORIES",
    "DEFAULT_CUSTOMER_TAG_KEY",
    "DEFAULT_FX_MAX_GAP_DAYS",
    "DEFAULT_MAX_UNATTRIBUTED_SHARE",
    "DEFAULT_SPEC",
    "DIALECTS",
    "FUTURE_METHODS",
    "KUBERNETES_DEFAULTS",
    "MAX_FX_GAP_DAYS",
    "METHODS",
    "METHOD_KEYS",
    "NUMERIC_COLUMNS",
    "PRIVACY_DEFAULTS",
    "PSEUDO_COLUMNS",
    "READ_DIALECT",
    "RECONCILIATION_DEFAULTS",
    "REMAINDER_UNATTRIBUTED",
    "RULE_KEYS",
    "SHARES_TOLERANCE",
    "SHARE_IDLE_MODES",
    "SURCHARGE_KEYS",
    "TAG_COLUMN_PREFIX",
    "TOP_LEVEL_KEYS",
    "UNATTRIBUTED_REASONS",
    "Rule",
    "RuleSet",
    "Surcharge",
    "check_references",
    "compile_match",
    "default_rules",
    "diff_rules",
    "load_rules",
    "normalize_segment",
    "project_vars",
    "tag_column",
]
