"""Google Cloud Billing export to BigQuery (standard or detailed usage cost), as JSON lines or CSV.

A file is this format when its header has ``billing_account_id``, ``service.description``,
``usage_start_time`` and ``cost``. The export's nested records arrive flattened to dotted names
(``service.description``, ``invoice.month``, ``location.region``); a CSV written from a flattening
query may spell them ``service_description`` instead, which :func:`cpc.formats.base.match_key`
treats as the same column. Repeated records (``credits``, ``labels``, ``system_labels``,
``project.labels``, ``project.ancestors``, ``tags``) land as JSON array text, e.g.
``[{"key": "customer_id", "value": "acme"}]``.

Rows land in the raw table ``billing_gcp`` under the snake_case of the field path. Each file's rows
carry ``_source_variant`` ``detailed`` (the detailed export: ``resource.name`` or
``resource.global_name`` present) or ``standard``.

Field names follow Google's published schema of the standard and detailed usage cost export.
"""

from __future__ import annotations

from cpc.formats.base import BillingFormat, match_key

#: (export field path, landed snake_case name), in landed order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("billing_account_id", "billing_account_id"),
    ("invoice.month", "invoice_month"),
    ("invoice.publisher_type", "invoice_publisher_type"),
    ("cost_type", "cost_type"),
    ("service.id", "service_id"),
    ("service.description", "service_description"),
    ("sku.id", "sku_id"),
    ("sku.description", "sku_description"),
    ("usage_start_time", "usage_start_time"),
    ("usage_end_time", "usage_end_time"),
    ("project.id", "project_id"),
    ("project.number", "project_number"),
    ("project.name", "project_name"),
    ("project.ancestry_numbers", "project_ancestry_numbers"),
    ("project.ancestors", "project_ancestors"),
    ("project.labels", "project_labels"),
    ("labels", "labels"),
    ("system_labels", "system_labels"),
    ("tags", "tags"),
    ("location.location", "location_location"),
    ("location.country", "location_country"),
    ("location.region", "location_region"),
    ("location.zone", "location_zone"),
    # detailed export only
    ("resource.name", "resource_name"),
    ("resource.global_name", "resource_global_name"),
    # money
    ("cost", "cost"),
    ("currency", "currency"),
    ("currency_conversion_rate", "currency_conversion_rate"),
    ("cost_at_list", "cost_at_list"),
    ("cost_at_effective_price_default", "cost_at_effective_price_default"),
    ("cost_at_list_consumption_model", "cost_at_list_consumption_model"),
    ("credits", "credits"),
    # usage and price
    ("usage.amount", "usage_amount"),
    ("usage.unit", "usage_unit"),
    ("usage.amount_in_pricing_units", "usage_amount_in_pricing_units"),
    ("usage.pricing_unit", "usage_pricing_unit"),
    ("price.effective_price", "price_effective_price"),
    ("price.tier_start_amount", "price_tier_start_amount"),
    ("price.unit", "price_unit"),
    ("price.pricing_unit_quantity", "price_pricing_unit_quantity"),
    ("price.list_price", "price_list_price"),
    ("price.effective_price_default", "price_effective_price_default"),
    ("price.list_price_consumption_model", "price_list_price_consumption_model"),
    ("consumption_model.id", "consumption_model_id"),
    ("consumption_model.description", "consumption_model_description"),
    ("subscription.instance_id", "subscription_instance_id"),
    # adjustments (cost_type = adjustment)
    ("adjustment_info.id", "adjustment_info_id"),
    ("adjustment_info.description", "adjustment_info_description"),
    ("adjustment_info.type", "adjustment_info_type"),
    ("adjustment_info.mode", "adjustment_info_mode"),
    # marketplace and processing
    ("transaction_type", "transaction_type"),
    ("seller_name", "seller_name"),
    ("export_time", "export_time"),
)

#: Columns only the detailed (resource-level) export has.
_DETAILED_KEYS = frozenset({match_key("resource.name"), match_key("resource.global_name")})


def variant(header: list[str], relative_path: str) -> str | None:
    """``detailed`` when the header has ``resource.name`` or ``resource.global_name``, else ``standard``."""
    del relative_path  # the export type is told by the header alone
    return "detailed" if any(match_key(name) in _DETAILED_KEYS for name in header) else "standard"


FORMAT = BillingFormat(
    name="gcp",
    table="billing_gcp",
    label="Google Cloud BigQuery billing export (JSON lines or CSV)",
    columns=COLUMNS,
    signatures=(("billing_account_id", "service.description", "usage_start_time", "cost"),),
    required=("usage_start_time", "usage_end_time", "cost"),
    tag_prefixes=(),
    tags_column=None,
    variant=variant,
    numeric_columns=("cost", "cost_at_list", "usage_amount", "usage_amount_in_pricing_units"),
    date_columns=("usage_start_time", "usage_end_time"),
)
