"""Azure cost details export (EA or MCA, actual or amortized): detection and landed columns.

Enterprise Agreement exports write PascalCase headers (``CostInBillingCurrency``, ``Date`` as
``M/D/YYYY``); Microsoft Customer Agreement exports write camelCase ones (``costInBillingCurrency``,
``date``). :func:`~cpc.formats.base.match_key` makes the casing irrelevant, so one landed column
serves both wherever only the casing differs. Where the two agreements name one concept
differently (``BillingCurrencyCode`` / ``billingCurrency``), both land as separate columns and
``stg_azure__cost_details`` coalesces them.

The actual-cost and the amortized-cost datasets have the same columns; which one a file is comes
from its path (see :func:`dataset_variant`).
"""

from __future__ import annotations

from cpc.formats.base import BillingFormat

#: (name as Azure writes it, landed column). EA spelling where both agreements share a column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Date", "date"),
    ("BillingPeriodStartDate", "billing_period_start_date"),
    ("BillingPeriodEndDate", "billing_period_end_date"),
    ("CostInBillingCurrency", "cost_in_billing_currency"),
    ("PayGPrice", "payg_price"),
    ("UnitPrice", "unit_price"),
    ("Quantity", "quantity"),
    ("UnitOfMeasure", "unit_of_measure"),
    # MCA only: pricing currency (PayGPrice, UnitPrice) to billing currency.
    ("exchangeRatePricingToBilling", "exchange_rate_pricing_to_billing"),
    ("ChargeType", "charge_type"),
    ("PricingModel", "pricing_model"),
    ("Frequency", "frequency"),
    ("BillingAccountId", "billing_account_id"),
    ("BillingAccountName", "billing_account_name"),
    ("BillingProfileId", "billing_profile_id"),
    ("BillingProfileName", "billing_profile_name"),
    # EA: BillingCurrencyCode; MCA: billingCurrency.
    ("BillingCurrencyCode", "billing_currency_code"),
    ("billingCurrency", "billing_currency"),
    # MCA only.
    ("invoiceId", "invoice_id"),
    # Cloud Solution Provider (partner) exports only.
    ("PartnerName", "partner_name"),
    ("SubscriptionId", "subscription_id"),
    ("SubscriptionName", "subscription_name"),
    ("ResourceId", "resource_id"),
    # EA only; MCA's resource name is the last segment of ResourceId.
    ("ResourceName", "resource_name"),
    ("ResourceLocation", "resource_location"),
    ("AvailabilityZone", "availability_zone"),
    ("MeterCategory", "meter_category"),
    ("ConsumedService", "consumed_service"),
    ("ProductName", "product_name"),
    # MCA only.
    ("ProductId", "product_id"),
    ("PublisherName", "publisher_name"),
    ("ReservationId", "reservation_id"),
    ("benefitId", "benefit_id"),
    ("Tags", "tags"),
)


def dataset_variant(header: list[str], rel: str) -> str | None:
    """The Cost Management dataset a file holds, read from its path (relative to the input folder).

    ``'amortized'`` when the path contains ``amortized`` (case-insensitive: an export named
    ``AmortizedCost``, a folder ``amortized/``), else ``'actual'`` when it contains ``actual``
    (``ActualCost``), else None (unknown: staged like any other row; the header cannot tell, both
    datasets have the same columns). ``usage`` is deliberately not read as actual: it appears in
    names of both kinds of export (``cost-and-usage``).
    """
    del header  # both datasets have the same header
    path = rel.lower()
    if "amortized" in path:
        return "amortized"
    if "actual" in path:
        return "actual"
    return None


FORMAT = BillingFormat(
    name="azure",
    table="billing_azure",
    label="Azure cost details export (EA or MCA, actual or amortized)",
    columns=COLUMNS,
    signatures=(
        ("Date", "CostInBillingCurrency", "BillingCurrencyCode"),  # Enterprise Agreement
        ("date", "costInBillingCurrency", "billingCurrency"),  # Microsoft Customer Agreement
    ),
    required=("date", "cost_in_billing_currency"),
    tag_prefixes=(),
    tags_column=None,
    variant=dataset_variant,
    numeric_columns=(
        "cost_in_billing_currency", "payg_price", "unit_price", "quantity",
        "exchange_rate_pricing_to_billing",
    ),
    date_columns=("date", "billing_period_start_date", "billing_period_end_date"),
)
