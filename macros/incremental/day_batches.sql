{#- Day-by-day incremental builds: a build allocates only the days whose inputs changed (see
    docs/incremental.md). The models of the allocation chain read their day-grained inputs through
    in_days_to_process; the ledger models that keep every day are incremental and replace the days
    of int_days_to_process. -#}

{#- The inputs int_days_fingerprinted fingerprints, in the order int_days_changed names the
    first that changed (each is a column <input>_fingerprint). -#}
{% macro day_fingerprint_inputs() -%}
    {{ return(['rules', 'charges', 'quarantine', 'usage', 'recipients', 'support', 'customers', 'settings']) }}
{%- endmacro %}


{#- The config of the models that keep every day (the ledger): incremental, with the days this
    build allocates replaced. DuckDB deletes their rows (pre-hook clear_days_to_process, given
    `undated_reason`), then inserts the new ones; Spark's parquet tables cannot delete rows, so
    there each day is a partition (partition_by cost_date, which Spark places last among the
    columns) and the build overwrites the partitions of the days it allocates (insert_overwrite).
    Any other engine rebuilds the tables whole. A change of columns fails the run
    (on_schema_change), asking for --full-refresh. -#}
{% macro day_ledger_config(undated_reason=none) -%}
    {%- set arguments = "undated_reason='" ~ undated_reason ~ "'" if undated_reason else "" -%}
    {{ return(cost_per_customer.kept_ledger_config(
        'cost_date', '{{ cost_per_customer.clear_days_to_process(' ~ arguments ~ ') }}')) }}
{%- endmacro %}


{#- The config of an incremental table kept part by part (a day, or a month: `partition_column`):
    incremental on DuckDB (the pre-hook `clear_parts` deletes the parts to write again); on Spark
    incremental with insert_overwrite, partitioned by that column (which Spark places last); a
    table rebuilt whole on any other engine. A change of columns fails the run. -#}
{% macro kept_ledger_config(partition_column, clear_parts) -%}
    {%- set kept = {'pre_hook': clear_parts, 'on_schema_change': 'fail'} -%}
    {%- do kept.update(adapter.dispatch('kept_ledger_config', 'cost_per_customer')(partition_column)) -%}
    {{ return(kept) }}
{%- endmacro %}

{% macro default__kept_ledger_config(partition_column) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro duckdb__kept_ledger_config(partition_column) -%}
    {{ return({'materialized': 'incremental'}) }}
{%- endmacro %}

{% macro spark__kept_ledger_config(partition_column) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': [partition_column], 'file_format': 'parquet'}) }}
{%- endmacro %}


{#- How a model kept by deleting the rows it writes again materializes: incremental where a
    pre-hook can delete them (DuckDB; the anomaly series and baselines by scope from its first
    changed day, the forecasts by customer from the first day to process, the surcharges by
    charge), a table rebuilt whole elsewhere (a Spark partition by day would hold every scope,
    changed or not, and a charge spans days). -#}
{% macro kept_by_delete_materialization() -%}
    {{ return(adapter.dispatch('kept_by_delete_materialization', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__kept_by_delete_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__kept_by_delete_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}


{#- Whether this run is incremental, asked only where dbt may introspect: is_incremental() looks
    the model's table up, which a compile without introspection (`dbt compile --no-introspect`, the
    templater that lints the SQL) cannot; there the model compiles as a full build. -#}
{% macro is_incremental_introspected() -%}
    {{ return(execute and flags.INTROSPECT and is_incremental()) }}
{%- endmacro %}


{#- A filter keeping the days this build allocates: every day on a full build, the changed ones on
    an incremental one. `undated`: rows without a day too (a build writes them again every time).
    `whole_months`: every day of the months that hold such a day (months_to_process), for a mart
    that sums them again whole. In a dbt unit test (one model's logic on the rows it is given) it
    keeps every given row. -#}
{% macro in_days_to_process(date_column, undated=false, whole_months=false) -%}
    {%- if date_column is not string or not date_column -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": in_days_to_process needs a date column expression, got " ~ date_column) }}
    {%- endif -%}
    {%- if model.resource_type == 'unit_test' -%}
        true
    {%- else -%}
        {%- if whole_months -%}
            {%- set kept = cost_per_customer.month_start(date_column) ~ ' in (' ~ cost_per_customer.months_to_process() ~ ')' -%}
        {%- else -%}
            {%- set kept = date_column ~ ' in (' ~ cost_per_customer.days_to_process_list() ~ ')' -%}
        {%- endif -%}
        {% if undated %}({{ date_column }} is null or {% endif -%}
        {{ kept }}
        {%- if undated %}){% endif %}
    {%- endif -%}
{%- endmacro %}


{#- The days this build allocates, as the list `in (...)` takes: the query of int_days_to_process;
    on DuckDB, when a build allocates a month's days or fewer (an incremental build), their dates
    written out instead. DuckDB pushes a written-out list down to the scans of the kept tables,
    under views and joins, and the query it applies after them: an appended day's pool members
    took 0.3 s instead of 2.4 s at 10k × 90. The list is read when the model is compiled, which
    dbt does as the model's turn comes, after int_days_to_process is built. -#}
{% macro days_to_process_list() -%}
    {{ return(adapter.dispatch('days_to_process_list', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__days_to_process_list() -%}
    {{ return('select days_to_process.cost_date from ' ~ ref('int_days_to_process') ~ ' as days_to_process') }}
{%- endmacro %}

{% macro duckdb__days_to_process_list() -%}
    {%- set query = cost_per_customer.default__days_to_process_list() -%}
    {%- if not (execute and flags.INTROSPECT) or load_relation(ref('int_days_to_process')) is none -%}
        {{ return(query) }}
    {%- endif -%}
    {%- set most = 31 -%}
    {%- set days = run_query(
        'select distinct cast(listed.cost_date as varchar) from (' ~ query ~ ') as listed order by 1 limit ' ~ (most + 1)
    ).columns[0].values() -%}
    {%- if days | length == 0 or days | length > most -%}
        {{ return(query) }}
    {%- endif -%}
    {%- set dates = [] -%}
    {%- for day in days -%}
        {%- do dates.append("cast('" ~ day ~ "' as date)") -%}
    {%- endfor -%}
    {{ return(dates | join(', ')) }}
{%- endmacro %}


{#- A filter keeping the charges whose period [start_at, end_at) touches the span from the first to
    the last day this build allocates: a cheap cut, on the charge's own columns, before its days are
    spread out and kept with in_days_to_process. Every charge on a full build; in a dbt unit test,
    every given row. -#}
{% macro touches_days_to_process(start_at, end_at) -%}
    {%- if model.resource_type == 'unit_test' -%}
        true
    {%- else -%}
        {%- set days = ref('int_days_to_process') -%}
        (cast({{ start_at }} as date) <= (select max(days_to_process.cost_date) from {{ days }} as days_to_process)
            and {{ cost_per_customer.period_last_day(start_at, end_at) }}
                >= (select min(days_to_process.cost_date) from {{ days }} as days_to_process))
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook of a model that keeps a row per charge (int_surcharges), on an incremental run:
    remove the rows of the charges whose period touches the span of the days this build allocates
    (touches_days_to_process, on the stored rows' own periods); the run writes the charges that
    touch it now. A charge that changed, appeared or went away changed the charges of its days, so
    they are allocated again and it is inside the span. -#}
{% macro clear_charges_touching_days_to_process() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ cost_per_customer.touches_days_to_process('charge_period_start_at', 'charge_period_end_at') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook of a model that keeps every day (day_ledger_config), on an incremental run: make
    room for the days this build allocates again. DuckDB deletes their rows, and the run inserts
    them again. On Spark the run's insert overwrites only the partitions of the days it writes
    rows for: a day allocated again may leave a table without rows (a day without input left, or
    one whose cost is now all on customers, for unattributed_costs_daily), and would keep its old
    partition. So every day to process is dropped first, as clear_months_to_process does by month.
    int_days_processed, written last, records the days only once the other tables hold them, so
    a build that stops part-way drops and writes them again next time. `undated_reason`: rows of this
    unattributed reason that have no day are removed on every run (the model writes them again
    whole). -#}
{% macro clear_days_to_process(undated_reason=none) -%}
    {%- if is_incremental() -%}
        {{ return(adapter.dispatch('clear_days_to_process', 'cost_per_customer')(undated_reason)) }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}

{% macro default__clear_days_to_process(undated_reason) -%}
    delete from {{ this }}
    where {{ cost_per_customer.in_days_to_process('cost_date') }}
    {%- if undated_reason %} or (cost_date is null and reason = '{{ undated_reason }}'){% endif %}
{%- endmacro %}

{% macro spark__clear_days_to_process(undated_reason) -%}
    {{ return(cost_per_customer.spark_drop_partitions(
        'cost_date',
        "select cast(cost_date as string) from " ~ ref('int_days_to_process'),
        with_null=undated_reason is not none)) }}
{%- endmacro %}


{#- Spark: the statement dropping this model's partitions whose `column` is one of the text values
    the query `values_sql` returns (and the partition of NULL with `with_null`), or `select 1` when
    there are none. -#}
{% macro spark_drop_partitions(column, values_sql, with_null=false) -%}
    {%- set partitions = [] -%}
    {%- set found = run_query("select distinct * from (" ~ values_sql ~ ") as partition_values order by 1") -%}
    {%- for row in found.rows %}{% do partitions.append("partition (" ~ column ~ " = '" ~ row[0] ~ "')") %}{% endfor -%}
    {%- if with_null %}{% do partitions.append('partition (' ~ column ~ ' = null)') %}{% endif -%}
    {%- if partitions -%}
        {{ return('alter table ' ~ this ~ ' drop if exists ' ~ (partitions | join(', '))) }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}


{#- The pre-hook of int_customer_cost_baselines on an incremental build: remove each changed
    scope's days from its first changed one (int_customer_cost_series_changes); the model inserts
    them again. -#}
{% macro delete_changed_baselines() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        using {{ ref('int_customer_cost_series_changes') }} as changes
        where changes.customer_id = {{ this.identifier }}.customer_id
            and changes.currency = {{ this.identifier }}.currency
            and changes.scope = {{ this.identifier }}.scope
            and {{ this.identifier }}.cost_date >= changes.first_changed_date
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- On an incremental build, the first day this build allocates as YYYY-MM-DD text (9999-12-31
    when it allocates none): a model kept from that day on computes again the days from it. None on
    any other build, and without introspection (is_incremental_introspected). -#}
{% macro first_day_to_process() -%}
    {%- if not cost_per_customer.is_incremental_introspected() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select cast(coalesce(min(days.cost_date), cast('9999-12-31' as date)) as " ~ dbt.type_string() ~ ")"
        ~ " from " ~ ref('int_days_to_process') ~ " as days"
    ) -%}
    {{ return(found.rows[0][0]) }}
{%- endmacro %}


{#- On an incremental build of int_customer_cost_series: {first_date, read_from} as YYYY-MM-DD
    text, the first day to process (first_day_to_process) and the seventh ledger day before it,
    which the series' previous-day and week-before values read back to; none on any other build.
    The ledger keeps every day before first_date as it was, so a scope's series before it changes
    only with the scope's start or settings (int_customer_cost_series_scopes). -#}
{% macro series_recompute_window() -%}
    {%- set first_date = cost_per_customer.first_day_to_process() -%}
    {%- if first_date is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select cast(min(days_back.cost_date) as " ~ dbt.type_string() ~ ") from ("
        ~ " select distinct ledger.cost_date from " ~ ref('customer_costs_daily') ~ " as ledger"
        ~ " where ledger.cost_date < cast('" ~ first_date ~ "' as date) order by 1 desc limit 7) as days_back"
    ) -%}
    {{ return({'first_date': first_date, 'read_from': found.rows[0][0] or first_date}) }}
{%- endmacro %}


{#- What a model kept from a day on (the anomaly series, the forecasts) reads of the ledger: on an
    incremental build (read_from given, YYYY-MM-DD) the days from read_from, and every earlier day
    of the customers (customer_id, currency) of the relation or CTE `recomputed`, whose rows it
    computes whole; the whole ledger when read_from is none. -#}
{% macro ledger_read_back(read_from, recomputed) -%}
    select ledger.*
    from {{ ref('customer_costs_daily') }} as ledger
    {%- if read_from is not none %}
    where ledger.cost_date >= cast('{{ read_from }}' as date)

    union all

    select ledger.*
    from {{ ref('customer_costs_daily') }} as ledger
    inner join {{ recomputed }}
        on ledger.customer_id = {{ recomputed }}.customer_id
        and ledger.currency = {{ recomputed }}.currency
    where ledger.cost_date < cast('{{ read_from }}' as date)
    {%- endif %}
{%- endmacro %}


{#- The pre-hook of int_customer_cost_series on an incremental build: remove the days from the first
    day to process, and every day of a scope whose start, ledger start or settings differ from
    int_customer_cost_series_scopes (or that is gone); the model writes them again. A series built
    by an earlier version of the project (without settings_fingerprint) is left for the model's
    schema check, which asks for a full refresh. -#}
{% macro delete_changed_series() -%}
    {%- set window = cost_per_customer.series_recompute_window() -%}
    {%- if window is none
          or 'settings_fingerprint' not in adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {{ return('select 1') }}
    {%- endif -%}
    delete from {{ this }}
    where {{ this.identifier }}.cost_date >= cast('{{ window.first_date }}' as date)
        or not exists (
            select 1
            from {{ ref('int_customer_cost_series_scopes') }} as scopes
            where scopes.customer_id = {{ this.identifier }}.customer_id
                and scopes.currency = {{ this.identifier }}.currency
                and scopes.scope = {{ this.identifier }}.scope
                and scopes.scope_first_date = {{ this.identifier }}.scope_first_date
                and scopes.customer_start_date = {{ this.identifier }}.customer_start_date
                and scopes.ledger_first_date = {{ this.identifier }}.ledger_first_date
                and scopes.settings_fingerprint = {{ this.identifier }}.settings_fingerprint
        )
{%- endmacro %}


{#- The pre-hook of int_customer_cost_forecasts on an incremental build: remove the days from the
    first day to process (first_day_to_process), and every day of a customer whose series no longer
    starts on the first day it holds (int_customer_cost_forecast_starts: a budget or a first day of
    cost moved its start) or that is gone; the model writes them again. -#}
{% macro delete_changed_forecasts() -%}
    {%- set first_date = cost_per_customer.first_day_to_process() -%}
    {%- if first_date is none -%}
        {{ return('select 1') }}
    {%- endif -%}
    delete from {{ this }}
    where {{ this.identifier }}.cost_date >= cast('{{ first_date }}' as date)
        or exists (
            select 1
            from (
                select
                    stored.customer_id,
                    stored.currency,
                    min(stored.cost_date) as first_stored_date
                from {{ this }} as stored
                group by stored.customer_id, stored.currency
            ) as stored_starts
            left join {{ ref('int_customer_cost_forecast_starts') }} as starts
                on stored_starts.customer_id = starts.customer_id
                and stored_starts.currency = starts.currency
            where stored_starts.customer_id = {{ this.identifier }}.customer_id
                and stored_starts.currency = {{ this.identifier }}.currency
                and starts.series_first_date is distinct from stored_starts.first_stored_date
        )
{%- endmacro %}


{#- Aggregate fingerprint of the rows of a group: their count and the sum of a 64-bit hash of the
    given columns, as text. Equal inputs give equal fingerprints whatever the row order; a changed,
    added or removed row changes it (short of a 64-bit hash collision). -#}
{% macro fingerprint_rows(columns) -%}
    {{ return(cost_per_customer.fingerprint_of_sums('count(*)', cost_per_customer.row_hash_sum(columns))) }}
{%- endmacro %}


{#- The same fingerprint from a row count and a hash sum (row_hash_sum) already summed in parts,
    e.g. per file: equal to fingerprint_rows over the parts' rows, since both are sums. -#}
{% macro fingerprint_of_sums(row_count, hash_sum) -%}
    concat(cast({{ row_count }} as {{ dbt.type_string() }}), ':', cast({{ hash_sum }} as {{ dbt.type_string() }}))
{%- endmacro %}


{#- The sum over a group's rows of a 64-bit hash of the given columns, an exact integer: one part of
    fingerprint_rows. -#}
{% macro row_hash_sum(columns) -%}
    {%- if columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": row_hash_sum needs a non-empty list of columns, got " ~ columns) }}
    {%- endif -%}
    {{ return(adapter.dispatch('row_hash_sum', 'cost_per_customer')(columns)) }}
{%- endmacro %}

{% macro default__row_hash_sum(columns) -%}
    sum(cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0)))
{%- endmacro %}

{% macro duckdb__row_hash_sum(columns) -%}
    sum(cast(hash({{ columns | join(', ') }}) as hugeint))
{%- endmacro %}


{#- Every column of a relation but those named in `exclude`, qualified by an alias (the alias's
    cost_date while dbt parses, or compiles without introspection). -#}
{% macro relation_columns(relation, alias, exclude=[]) -%}
    {%- set names = [] -%}
    {%- if execute and flags.INTROSPECT -%}
        {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in exclude -%}
            {%- do names.append(alias ~ '.' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names if names else [alias ~ '.cost_date']) }}
{%- endmacro %}


{#- A fingerprint of what decides every day's allocation beyond its day-grained inputs: the
    allocation settings (the dbt vars from allocation.yml, not the file's path) that count for
    every day, and the project's own models, seeds and macros. When it changes, every day is
    allocated again. The rules and surcharges count by the days they are in effect
    (rules_in_effect_fingerprint); only what they decide for every day is here: whether any rule
    places by tag (the 'untagged' reason), the positions of the proportional_to_cost rules (the
    ledger's columns) and the tag keys the predicates read. With them the forecasts' trailing
    days (cpc_forecast_trailing_days), which decide every kept day's forecast
    (int_customer_cost_forecasts), and the reconciliation's units (cpc_reconciliation_units), which
    decide every kept day of int_telemetry_bill_quantities_daily: a change is rare, and computes
    every day again. -#}
{% macro settings_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in ['cpc_customer_tag_key', 'cpc_rule_tag_keys', 'cpc_reporting_currency',
                     'cpc_default_currency', 'cpc_fx_max_gap_days', 'cpc_kubernetes_cpu_hourly_price',
                     'cpc_kubernetes_ram_gib_hourly_price', 'cpc_kubernetes_share_idle',
                     'cpc_forecast_trailing_days', 'cpc_reconciliation_units'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(cost_per_customer.setting(name))) -%}
    {%- endfor -%}
    {%- set rules = cost_per_customer.allocation_rules() -%}
    {%- do parts.append('tag_rules=' ~ (rules | selectattr('method', 'equalto', 'tag') | list | length > 0)) -%}
    {%- do parts.append('following_rules=' ~ tojson(cost_per_customer.cost_following_rules() | map(attribute='position') | list)) -%}
    {%- do parts.append(cost_per_customer.project_code_fingerprint()) -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- A fingerprint of the project's own code: the checksums of its models and seeds, and of its
    macros' text (empty at parse time). -#}
{% macro project_code_fingerprint() -%}
    {%- set parts = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
            {%- if node.package_name == project_name and node.resource_type in ('model', 'seed') -%}
                {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set macro_names = [] -%}
        {%- for name in cost_per_customer %}{% do macro_names.append(name) %}{% endfor -%}
        {%- for name in macro_names | sort -%}
            {%- do parts.append('macro.' ~ name ~ '=' ~ local_md5(cost_per_customer[name].macro.macro_sql)) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- A fingerprint of what decides the anomaly baselines beyond each day's series: the anomaly
    settings (the cpc_anomaly_* vars) and everything settings_fingerprint covers (the allocation
    settings and the project's version). Stored with each baseline, so a change judges every day
    again (int_customer_cost_series_changes). -#}
{% macro anomaly_settings_fingerprint() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{ return('unit test') }}  {#- a unit test has no project graph to fingerprint -#}
    {%- endif -%}
    {%- set parts = [cost_per_customer.settings_fingerprint()] -%}
    {%- for name in ['cpc_anomaly_charge_categories', 'cpc_anomaly_trailing_days', 'cpc_anomaly_min_history_days',
                     'cpc_anomaly_score_threshold', 'cpc_anomaly_page_score', 'cpc_anomaly_drift_score',
                     'cpc_anomaly_drift_days', 'cpc_anomaly_min_relative_spread', 'cpc_anomaly_min_excess_cost',
                     'cpc_anomaly_max_gap_days'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(var(name, none))) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- SQL expression: a fingerprint of the allocation rules and surcharges in effect on the day
    (`day_column`), each with its position and everything but its window (effective_from,
    effective_to). Rules change only on the dates where a window opens or closes, so the
    expression is a CASE over those dates with one literal per stretch: a rule added or edited
    from a date changes the fingerprint of the days from that date on and of no day before (a
    surcharge counts by the day too, which covers the charges starting on or after its date).
    Moving a rule renumbers the rules after it, which changes every day they are in effect. -#}
{% macro rules_in_effect_fingerprint(day_column) -%}
    {%- set window = ['effective_from', 'effective_to'] -%}
    {%- set items = [] -%}
    {%- for rule in cost_per_customer.allocation_rules() %}{% do items.append(['rule', rule]) %}{% endfor -%}
    {%- for surcharge in cost_per_customer.surcharges() %}{% do items.append(['surcharge', surcharge]) %}{% endfor -%}
    {%- set dates = [] -%}
    {%- for kind, item in items -%}
        {%- for key in window if item[key] and item[key] not in dates %}{% do dates.append(item[key]) %}{% endfor -%}
    {%- endfor -%}
    {%- set starts = [none] + (dates | sort) -%}
    {%- set literals = [] -%}
    {%- for start in starts -%}
        {%- set in_effect = [] -%}
        {%- for kind, item in items -%}
            {%- if (start is none and not item.effective_from)
                   or (start is not none and (not item.effective_from or item.effective_from <= start)
                       and (not item.effective_to or item.effective_to > start)) -%}
                {%- set body = {} -%}
                {%- for key in item.keys() | sort if key not in window %}{% do body.update({key: item[key]}) %}{% endfor -%}
                {%- do in_effect.append(kind ~ ':' ~ tojson(body)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do literals.append(local_md5(in_effect | join('\n'))) -%}
    {%- endfor -%}
    {%- if starts | length == 1 -%}
        '{{ literals[0] }}'
    {%- else -%}
        case
            {%- for start in starts[1:] %}
            when {{ day_column }} < cast('{{ start }}' as date) then '{{ literals[loop.index0] }}'
            {%- endfor %}
            else '{{ literals[-1] }}'
        end
    {%- endif -%}
{%- endmacro %}


{#- Whether this build may allocate only the changed days: not on a full refresh, not on an engine
    whose ledger is rebuilt whole, and only when every incremental model and the record of the days
    already allocated exist (false without introspection: `dbt compile --no-introspect` compiles
    a full build). -#}
{% macro can_process_changed_days_only() -%}
    {%- if not (execute and flags.INTROSPECT) or flags.FULL_REFRESH or cost_per_customer.day_ledger_config().materialized != 'incremental' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.resource_type == 'model'
              and node.config.materialized == 'incremental' -%}
            {%- set existing = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if existing is none -%}
                {{ return(false) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}


{#- The first day `cpc build --reprocess-from DATE` allocates again (var cpc_reprocess_from), as
    YYYY-MM-DD text, or none. -#}
{% macro reprocess_from() -%}
    {%- set day = cost_per_customer.setting('cpc_reprocess_from', none) -%}
    {%- if day is none or day == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set day = day | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day) -%}
        {{ exceptions.raise_compiler_error("var cpc_reprocess_from must be a day as YYYY-MM-DD, got: " ~ day) }}
    {%- endif -%}
    {{ return(day) }}
{%- endmacro %}
