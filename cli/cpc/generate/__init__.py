"""Deterministic demo data: a SaaS company's FOCUS cloud bill, its telemetry and the ground truth.

The generator simulates one SaaS company running on AWS. Customers consume shared infrastructure
(an autoscaled EC2 cluster, shared databases, a shared bucket, CDN, functions, logs, a shared
Kubernetes cluster) and, for enterprise and mid-market customers, dedicated tagged resources. It
writes the project's raw input contract::

    billing/focus-YYYY-MM.{csv,csv.gz,parquet}  FOCUS 1.2 rows, one file per calendar month
    usage/usage-YYYY-MM.{csv,csv.gz,parquet}    usage_date, customer_id, metric, quantity,
                                                service_name, region_id, sub_account_id,
                                                feature, sample_rate
    k8s_usage/k8s-usage-YYYY-MM.{csv,csv.gz,parquet}  one row per pod and UTC day: interval_start,
                     interval_end, cluster_id, node_id, namespace, pod, cpu_request_cores,
                     cpu_usage_cores, memory_request_bytes, memory_usage_bytes, node_cpu_cores,
                     node_memory_bytes
    k8s_namespaces.csv  cluster_id, namespace, customer_id (every namespace but `monitoring`)
    fx_rates.csv     date, currency, rate: USD per EUR on the days a rate was published
    customers.csv    customer_id, customer_name, segment, region, active_from, active_to
    revenue.csv      customer_id, month, revenue, currency
    budgets.csv      customer_id, segment, month, amount, currency: a budget for each enterprise
                     customer and each customer with an anomaly, and one for each smb customer
    support_tickets.csv  ticket_id, customer_id, opened_at, handle_minutes, agent_tier
    support_rates.csv    agent_tier, hourly_rate, currency, effective_from, effective_to
    other_costs.csv  cost_id, description, category, amount, currency, incurred_date,
                     amortization_months, customer_id, pool: costs outside the cloud bill
    allocation.yml   demo allocation rules (one usage rule per shared service)
    ground_truth.csv customer_id, month, true_cost: what each customer really drove
    ground_truth_anomalies.csv  customer_id, kind, scope, first_date, last_date, factor: the cost
                     anomalies injected into three customers' consumption (``anomalies``)

The EU billing account (eu-west-1) is invoiced in EUR: its rows say ``BillingCurrency`` EUR and
carry euro amounts from the provider's euro price list, which is the dollar list x 0.92
(EUR_PRICE_LIST_FACTOR); its tax and credits are computed in euros. fx_rates.csv publishes the
EUR rate (USD per EUR; the reporting currency is USD) with 4 decimals on weekdays, except the
fixed-date TARGET closing days (1 January, 1 May, 25 and 26 December), from ten days before the
window to its end: a mean-reverting random walk around 1.08 (about 0.4 % a day). A weekend or
closing day takes the last earlier rate, at most four days old (within the default
fx_max_gap_days of 7).

The shared Kubernetes cluster (``prod-use1``, in us-east-1, so billed in USD) runs on 3 or 4
on-demand EC2 nodes (m6i.xlarge, 2xlarge or 4xlarge, sized for its tenants), billed one row per
node and UTC day with ResourceId = the instance id; k8s_usage names each node by its providerID
(``aws:///us-east-1a/i-0...``), which the pipeline matches by its last path segment. About 10 % of
the customers (non-free customers of the USD account's regions, at most 300) are tenants with
one namespace each (``tenant-<customer_id>``) and 1 to 3 pods by segment; their requests fill
about 70 % of the cluster's CPU and 65 % of its memory, their daily usage follows the customer's
compute activity (some pods run above their request), and their pods run only on the customer's
active days. A ``monitoring`` DaemonSet pod on every node serves no customer and is deliberately
left out of k8s_namespaces.csv; the capacity nobody requested is idle.

Telemetry measures each customer's consumption of the *shared* services only (dedicated
resources are identified by their ``customer_id`` tag, Kubernetes tenants by k8s_usage). It
carries a little noise (lognormal, sigma 0.05) and about 1 % of its rows lost the customer id.
Compute and function rows name the customer's feature (``search``, ``reports`` or ``exports``, one
per customer and metric, or none), and function telemetry is sampled from the 15th of each month
(sample_rate 0.25: a binomial draw of the GB-seconds), so each month has sampled and unsampled days.

Support tickets are opened by active customers (heavy-tailed volume by segment, enterprise most,
free very few) and handled by agents of three tiers (tier1, tier2, engineer) whose hourly rates
are in support_rates.csv; the engineer rate rises in the middle of the window (``effective_to``
is exclusive and empty when open). About 2 % of the tickets name deleted customers.

The ground truth is in USD. Every row is simulated in list dollars and written in its account's
currency (list dollars x the price-list factor), so its true USD cost is its amount converted
the way the pipeline converts it: each UTC day of the charge at the rate in effect that day
(the day's published rate, else the last earlier one). Hourly and daily rows lie in one day; the
monthly CloudWatch row is spread evenly over its days, so it is worth its amount times the mean
of its days' rates. Customer truths are these USD amounts split as below, tax and credits are
converted at their day's rate, and so the pipeline's conversion is exact up to rounding (1e-10 a
charge-day). Per customer and day:

* shared EC2 (on-demand and savings-plan covered hours), RDS, S3, CloudFront and Lambda: the
  day's cost of that service in the customer's region times the customer's share of the
  region's true consumption of the service's metric that day;
* CloudWatch (one row per region and month): the month's cost times the customer's share of
  the region's log volume in that month;
* dedicated tagged resources: their owner;
* Kubernetes nodes: split by the documented rule (docs/kubernetes.md) with the demo settings
  (OpenCost's default CPU and RAM prices, share_idle none): a node-day's cost splits into CPU and
  RAM by the ratio of its capacity at those prices; each tenant's pods are charged
  max(request, usage) of cores and memory, as the values k8s_usage writes, as their share of the
  node's capacity; idle capacity and the unmapped ``monitoring`` namespace belong to nobody (the
  pipeline leaves them unattributed as ``idle`` and ``unmapped_namespace``);
* tax and credits: split over the customers of the billing account by their share of that
  account-day's attributed cost;
* the demo's surcharge (allocation.yml: a 5 % data-residency premium on every charge in
  eu-west-1, DATA_RESIDENCY_RATE): the rate times the customer's cost there before tax, since
  it follows the charges it is derived from (tax and credit rows carry no region);
* unused commitment, CloudTrail and resources tagged with unknown (deleted) customers belong
  to nobody;
* support: each ticket costs handle_minutes / 60 x the hourly rate of its tier in effect on the
  ticket's UTC date (effective_from <= date < effective_to); it adds to its customer's month
  (tickets of deleted customers belong to nobody).

Other costs (other_costs.csv) are engineering salaries (booked on the 15th of each month and
amortized from there), a hardware purchase (on 29 February when the window has one), security and
compliance licences and audits, developer-tool licences, and a few costs naming their customer
(dedicated security hardware and integration work for the largest customers, and one for a deleted
customer). Each is amortized over whole months, fitted so that its schedule ends inside the window
(so its ground truth is complete); category spellings vary (Engineering, Compliance, hardware,
licence) and one amount is written "$1,234.00". Their ground truth follows the demo rules, which
are the company's policy for them: a cost naming a known customer is that customer's (a deleted
customer's belongs to nobody); engineering is split by the customers' revenue in the month of each
day; the `platform` pool is split evenly among the customers active that day.

Everything is vectorised with numpy and written with duckdb; the same arguments give
byte-identical files.

The modules: ``run`` (the entry point and the order of the work), ``company`` (segments, accounts,
regions, services, prices), ``world`` (customers, consumption, shared capacity; customers.csv),
``catalog`` and ``billing`` (the bill's resources, charge kinds and FOCUS rows), ``month`` (one
month's bill and truth) from ``compute``, ``metered``, ``storage``, ``kubernetes`` and ``taxes``;
``usage`` (telemetry), ``support``, ``other_costs``, ``revenue``, ``budgets``, ``currencies``,
``ground_truth``, ``anomalies`` (the injected anomalies) and ``allocation`` (their files); ``periods``, ``util`` and ``files`` (helpers).
"""

from cpc.generate.billing import BILLING_COLUMNS
from cpc.generate.company import (
    DATA_RESIDENCY_RATE,
    DATA_RESIDENCY_REGION,
    EUR_PRICE_LIST_FACTOR,
    REPORTING_CURRENCY,
)
from cpc.generate.run import FORMATS, MAX_CUSTOMER_DAYS, GenerateSummary, generate
from cpc.generate.usage import USAGE_COLUMNS

__all__ = [
    "BILLING_COLUMNS",
    "DATA_RESIDENCY_RATE",
    "DATA_RESIDENCY_REGION",
    "EUR_PRICE_LIST_FACTOR",
    "FORMATS",
    "MAX_CUSTOMER_DAYS",
    "REPORTING_CURRENCY",
    "USAGE_COLUMNS",
    "GenerateSummary",
    "generate",
]
