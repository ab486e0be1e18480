"""FOCUS 1.0-1.3 cost-and-usage files: detection and landed columns.

A file is FOCUS when its header has ChargePeriodStart, ChargePeriodEnd and BilledCost or
EffectiveCost. Its rows land in the raw table ``billing`` under the snake_case of the FOCUS column
names; a FOCUS file must have ChargePeriodStart, ChargePeriodEnd and EffectiveCost.
"""

from __future__ import annotations

from cpc.formats.base import BillingFormat

#: FOCUS 1.0-1.3 cost-and-usage columns as (FocusName, landed snake_case name), in landed order.
#: Deprecated and renamed columns are both kept as separate landed columns (ProviderName and
#: ServiceProviderName, PublisherName and HostProviderName).
COLUMNS: tuple[tuple[str, str], ...] = (
    # FOCUS 1.0 / 1.1 / 1.2
    ("AvailabilityZone", "availability_zone"),
    ("BilledCost", "billed_cost"),
    ("BillingAccountId", "billing_account_id"),
    ("BillingAccountName", "billing_account_name"),
    ("BillingAccountType", "billing_account_type"),
    ("BillingCurrency", "billing_currency"),
    ("BillingPeriodEnd", "billing_period_end"),
    ("BillingPeriodStart", "billing_period_start"),
    ("CapacityReservationId", "capacity_reservation_id"),
    ("CapacityReservationStatus", "capacity_reservation_status"),
    ("ChargeCategory", "charge_category"),
    ("ChargeClass", "charge_class"),
    ("ChargeDescription", "charge_description"),
    ("ChargeFrequency", "charge_frequency"),
    ("ChargePeriodEnd", "charge_period_end"),
    ("ChargePeriodStart", "charge_period_start"),
    ("CommitmentDiscountCategory", "commitment_discount_category"),
    ("CommitmentDiscountId", "commitment_discount_id"),
    ("CommitmentDiscountName", "commitment_discount_name"),
    ("CommitmentDiscountQuantity", "commitment_discount_quantity"),
    ("CommitmentDiscountStatus", "commitment_discount_status"),
    ("CommitmentDiscountType", "commitment_discount_type"),
    ("CommitmentDiscountUnit", "commitment_discount_unit"),
    ("ConsumedQuantity", "consumed_quantity"),
    ("ConsumedUnit", "consumed_unit"),
    ("ContractedCost", "contracted_cost"),
    ("ContractedUnitPrice", "contracted_unit_price"),
    ("EffectiveCost", "effective_cost"),
    ("InvoiceId", "invoice_id"),
    ("InvoiceIssuerName", "invoice_issuer_name"),
    ("ListCost", "list_cost"),
    ("ListUnitPrice", "list_unit_price"),
    ("PricingCategory", "pricing_category"),
    ("PricingCurrency", "pricing_currency"),
    ("PricingCurrencyContractedUnitPrice", "pricing_currency_contracted_unit_price"),
    ("PricingCurrencyEffectiveCost", "pricing_currency_effective_cost"),
    ("PricingCurrencyListUnitPrice", "pricing_currency_list_unit_price"),
    ("PricingQuantity", "pricing_quantity"),
    ("PricingUnit", "pricing_unit"),
    ("ProviderName", "provider_name"),
    ("PublisherName", "publisher_name"),
    ("ServiceProviderName", "service_provider_name"),
    ("HostProviderName", "host_provider_name"),
    ("RegionId", "region_id"),
    ("RegionName", "region_name"),
    ("ResourceId", "resource_id"),
    ("ResourceName", "resource_name"),
    ("ResourceType", "resource_type"),
    ("ServiceCategory", "service_category"),
    ("ServiceName", "service_name"),
    ("ServiceSubcategory", "service_subcategory"),
    ("SkuId", "sku_id"),
    ("SkuMeter", "sku_meter"),
    ("SkuPriceDetails", "sku_price_details"),
    ("SkuPriceId", "sku_price_id"),
    ("SubAccountId", "sub_account_id"),
    ("SubAccountName", "sub_account_name"),
    ("SubAccountType", "sub_account_type"),
    ("Tags", "tags"),
    # FOCUS 1.3 additions: split cost allocation and contract commitments
    ("AllocatedMethodId", "allocated_method_id"),
    ("AllocatedMethodDetails", "allocated_method_details"),
    ("AllocatedResourceId", "allocated_resource_id"),
    ("AllocatedResourceName", "allocated_resource_name"),
    ("AllocatedTags", "allocated_tags"),
    ("ContractApplied", "contract_applied"),
)

#: Landed names of the columns every FOCUS file must have.
REQUIRED: tuple[str, ...] = ("charge_period_start", "charge_period_end", "effective_cost")

FORMAT = BillingFormat(
    name="focus",
    table="billing",
    label="FOCUS 1.0–1.3",
    columns=COLUMNS,
    signatures=(
        ("ChargePeriodStart", "ChargePeriodEnd", "BilledCost"),
        ("ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost"),
    ),
    required=REQUIRED,
    numeric_columns=(
        "billed_cost", "effective_cost", "list_cost", "contracted_cost", "consumed_quantity",
        "pricing_quantity", "list_unit_price", "contracted_unit_price",
        "commitment_discount_quantity", "pricing_currency_contracted_unit_price",
        "pricing_currency_effective_cost", "pricing_currency_list_unit_price",
    ),
    date_columns=(
        "charge_period_start", "charge_period_end", "billing_period_start", "billing_period_end",
    ),
)
