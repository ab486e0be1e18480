{#- One row per segment (and the company, segment 'all') per month: active customers, cost per active customer, cost-to-revenue and margin; see _costs__models.yml. -#}
{{ cost_per_customer.segment_economics_by_period('month') }}
