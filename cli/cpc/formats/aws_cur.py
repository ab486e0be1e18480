"""AWS Cost and Usage Report, legacy CSV or CUR 2.0 (Data Exports): detection and landed columns.

Both layouts land in one raw table, ``billing_aws``, under the CUR 2.0 snake_case names:

* legacy CUR names its columns ``<group>/<Name>`` (``lineItem/UnblendedCost``,
  ``reservation/ReservationARN``) and writes every resource tag as its own column
  (``resourceTags/user:team``); landing packs those tag columns into ``resource_tags`` as one
  JSON object text (``{"user:team": "data"}``);
* CUR 2.0 names the same columns in snake_case (``line_item_unblended_cost``,
  ``reservation_reservation_a_r_n``) and holds the tags in one map column ``resource_tags``
  (keys such as ``user_team``), and the rarer product attributes in one map column ``product``
  (``product_name``, ``region``, ...). Map columns land as JSON object text.

:func:`cpc.formats.base.match_key` makes the two spellings one column (``lineItem/UnblendedCost``
and ``line_item_unblended_cost`` both become ``lineitemunblendedcost``). Each file's rows carry
``_source_variant`` ``legacy`` (a header with ``/`` names) or ``cur2``.
"""

from __future__ import annotations

from cpc.formats.base import BillingFormat

#: (legacy CUR display name, landed CUR 2.0 name), in landed order. CUR 2.0-only columns are
#: shown under their CUR 2.0 name.
COLUMNS: tuple[tuple[str, str], ...] = (
    # identity: AWS repeats a line item id in every time interval it spans
    ("identity/LineItemId", "identity_line_item_id"),
    ("identity/TimeInterval", "identity_time_interval"),
    # bill
    ("bill/InvoiceId", "bill_invoice_id"),
    ("bill/InvoicingEntity", "bill_invoicing_entity"),
    ("bill/BillingEntity", "bill_billing_entity"),
    ("bill/BillType", "bill_bill_type"),
    ("bill/PayerAccountId", "bill_payer_account_id"),
    ("bill/PayerAccountName", "bill_payer_account_name"),
    ("bill/BillingPeriodStartDate", "bill_billing_period_start_date"),
    ("bill/BillingPeriodEndDate", "bill_billing_period_end_date"),
    # lineItem
    ("lineItem/UsageAccountId", "line_item_usage_account_id"),
    ("lineItem/UsageAccountName", "line_item_usage_account_name"),
    ("lineItem/LineItemType", "line_item_line_item_type"),
    ("lineItem/UsageStartDate", "line_item_usage_start_date"),
    ("lineItem/UsageEndDate", "line_item_usage_end_date"),
    ("lineItem/ProductCode", "line_item_product_code"),
    ("lineItem/UsageType", "line_item_usage_type"),
    ("lineItem/Operation", "line_item_operation"),
    ("lineItem/AvailabilityZone", "line_item_availability_zone"),
    ("lineItem/ResourceId", "line_item_resource_id"),
    ("lineItem/UsageAmount", "line_item_usage_amount"),
    ("lineItem/CurrencyCode", "line_item_currency_code"),
    ("lineItem/UnblendedRate", "line_item_unblended_rate"),
    ("lineItem/UnblendedCost", "line_item_unblended_cost"),
    ("lineItem/NetUnblendedCost", "line_item_net_unblended_cost"),
    ("lineItem/LineItemDescription", "line_item_line_item_description"),
    ("lineItem/LegalEntity", "line_item_legal_entity"),
    # product (CUR 2.0 keeps product name and region in the `product` map)
    ("product/ProductName", "product_product_name"),
    ("product/servicecode", "product_servicecode"),
    ("product/region", "product_region"),
    ("product/regionCode", "product_region_code"),
    ("product/productFamily", "product_product_family"),
    ("product/sku", "product_sku"),
    ("product", "product"),
    # pricing
    ("pricing/term", "pricing_term"),
    ("pricing/unit", "pricing_unit"),
    ("pricing/publicOnDemandCost", "pricing_public_on_demand_cost"),
    # reservation (Reserved Instances and other reservations)
    ("reservation/ReservationARN", "reservation_reservation_a_r_n"),
    ("reservation/EffectiveCost", "reservation_effective_cost"),
    ("reservation/NetEffectiveCost", "reservation_net_effective_cost"),
    (
        "reservation/AmortizedUpfrontFeeForBillingPeriod",
        "reservation_amortized_upfront_fee_for_billing_period",
    ),
    (
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
        "reservation_unused_amortized_upfront_fee_for_billing_period",
    ),
    (
        "reservation/NetUnusedAmortizedUpfrontFeeForBillingPeriod",
        "reservation_net_unused_amortized_upfront_fee_for_billing_period",
    ),
    ("reservation/UnusedRecurringFee", "reservation_unused_recurring_fee"),
    ("reservation/NetUnusedRecurringFee", "reservation_net_unused_recurring_fee"),
    # savingsPlan
    ("savingsPlan/SavingsPlanARN", "savings_plan_savings_plan_a_r_n"),
    ("savingsPlan/SavingsPlanEffectiveCost", "savings_plan_savings_plan_effective_cost"),
    ("savingsPlan/NetSavingsPlanEffectiveCost", "savings_plan_net_savings_plan_effective_cost"),
    ("savingsPlan/TotalCommitmentToDate", "savings_plan_total_commitment_to_date"),
    ("savingsPlan/UsedCommitment", "savings_plan_used_commitment"),
    (
        "savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod",
        "savings_plan_amortized_upfront_commitment_for_billing_period",
    ),
    (
        "savingsPlan/NetAmortizedUpfrontCommitmentForBillingPeriod",
        "savings_plan_net_amortized_upfront_commitment_for_billing_period",
    ),
    (
        "savingsPlan/RecurringCommitmentForBillingPeriod",
        "savings_plan_recurring_commitment_for_billing_period",
    ),
    (
        "savingsPlan/NetRecurringCommitmentForBillingPeriod",
        "savings_plan_net_recurring_commitment_for_billing_period",
    ),
    # resource tags: one JSON object (legacy resourceTags/* columns are packed into it)
    ("resource_tags", "resource_tags"),
)


def variant(header: list[str], relative_path: str) -> str | None:
    """``legacy`` for a header with ``group/Name`` column names, else ``cur2`` (snake_case)."""
    del relative_path  # the layout is told by the header alone
    return "legacy" if any("/" in name for name in header) else "cur2"


FORMAT = BillingFormat(
    name="aws_cur",
    table="billing_aws",
    label="AWS Cost and Usage Report (legacy CSV or CUR 2.0)",
    columns=COLUMNS,
    signatures=(("lineItem/UnblendedCost", "lineItem/UsageStartDate"),),
    required=(
        "line_item_usage_start_date",
        "line_item_usage_end_date",
        "line_item_unblended_cost",
        "line_item_line_item_type",
    ),
    tag_prefixes=("resourceTags/",),
    tags_column="resource_tags",
    variant=variant,
    numeric_columns=(
        "line_item_usage_amount", "line_item_unblended_rate", "line_item_unblended_cost",
        "line_item_net_unblended_cost", "pricing_public_on_demand_cost",
        "savings_plan_savings_plan_effective_cost", "savings_plan_net_savings_plan_effective_cost",
        "reservation_effective_cost", "reservation_net_effective_cost",
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        "reservation_net_unused_amortized_upfront_fee_for_billing_period",
        "reservation_unused_recurring_fee", "reservation_net_unused_recurring_fee",
        "savings_plan_total_commitment_to_date", "savings_plan_used_commitment",
        "savings_plan_recurring_commitment_for_billing_period",
        "savings_plan_net_recurring_commitment_for_billing_period",
        "savings_plan_amortized_upfront_commitment_for_billing_period",
        "savings_plan_net_amortized_upfront_commitment_for_billing_period",
    ),
    date_columns=(
        "line_item_usage_start_date", "line_item_usage_end_date",
        "bill_billing_period_start_date", "bill_billing_period_end_date",
    ),
)
