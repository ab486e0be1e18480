{#- One row per customer per calendar quarter with cost: customer_costs_monthly summed; see _costs__models.yml. -#}
{{ cost_per_customer.customer_costs_by_period('quarter') }}
