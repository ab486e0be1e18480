"""Oracle Cloud Infrastructure cost report (the ``reports/cost-csv`` CSV files).

A file is this format when its header has ``cost/myCost`` and ``lineItem/intervalUsageStart``.
Columns are named ``<group>/<name>`` (``lineItem/referenceNo``, ``product/compartmentId``,
``cost/myCost``) and land in the raw table ``billing_oci`` under their snake_case
(``line_item_reference_no``, ``product_compartment_id``, ``cost_my_cost``). Every tag is its own
column ``tags/<namespace>.<key>`` (defined tags) or ``tags/<key>`` (free-form tags); landing packs
them into ``tags`` as one JSON object text (``{"Finance.CostCenter": "42", "customer_id": "acme"}``).

Column names follow Oracle's published cost report fields. The usage report (``reports/usage-csv``,
no ``cost/*`` columns) is not a cost source and is not recognized.
"""

from __future__ import annotations

from cpc.formats.base import BillingFormat

#: (cost report header, landed snake_case name), in landed order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("lineItem/referenceNo", "line_item_reference_no"),
    ("lineItem/tenantId", "line_item_tenant_id"),
    ("lineItem/intervalUsageStart", "line_item_interval_usage_start"),
    ("lineItem/intervalUsageEnd", "line_item_interval_usage_end"),
    ("product/service", "product_service"),
    ("product/compartmentId", "product_compartment_id"),
    ("product/compartmentName", "product_compartment_name"),
    ("product/region", "product_region"),
    ("product/availabilityDomain", "product_availability_domain"),
    ("product/resourceId", "product_resource_id"),
    ("usage/billedQuantity", "usage_billed_quantity"),
    ("usage/billedQuantityOverage", "usage_billed_quantity_overage"),
    ("cost/subscriptionId", "cost_subscription_id"),
    ("cost/productSku", "cost_product_sku"),
    ("product/Description", "product_description"),
    ("cost/unitPrice", "cost_unit_price"),
    ("cost/unitPriceOverage", "cost_unit_price_overage"),
    ("cost/myCost", "cost_my_cost"),
    ("cost/myCostOverage", "cost_my_cost_overage"),
    ("cost/currencyCode", "cost_currency_code"),
    ("cost/billingUnitReadable", "cost_billing_unit_readable"),
    ("cost/skuUnitDescription", "cost_sku_unit_description"),
    ("cost/overageFlag", "cost_overage_flag"),
    ("lineItem/isCorrection", "line_item_is_correction"),
    ("lineItem/backreferenceNo", "line_item_backreference_no"),
    ("cost/attributedCost", "cost_attributed_cost"),
    ("usage/attributedUsage", "usage_attributed_usage"),
    # every tags/* column, packed at landing into one JSON object
    ("tags", "tags"),
)

FORMAT = BillingFormat(
    name="oci",
    table="billing_oci",
    label="Oracle Cloud cost report",
    columns=COLUMNS,
    signatures=(("cost/myCost", "lineItem/intervalUsageStart"),),
    required=("line_item_interval_usage_start", "line_item_interval_usage_end", "cost_my_cost"),
    tag_prefixes=("tags/",),
    tags_column="tags",
    numeric_columns=("cost_my_cost", "usage_billed_quantity", "cost_unit_price"),
    date_columns=("line_item_interval_usage_start", "line_item_interval_usage_end"),
)
