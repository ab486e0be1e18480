{#- Tables kept file by file: a build reads again only the landed files whose version
    (int_landed_file_versions) changed, and keeps the rows it made of the others (see
    docs/incremental.md). Such a table has the columns source_file and file_version. -#}

{#- How a table kept file by file materializes: 'incremental' on DuckDB (a pre-hook deletes the
    rows of the files read again: clear_changed_files); a table rebuilt whole elsewhere (Spark
    lands every file again on each build). -#}
{% macro file_kept_materialization() -%}
    {{ return(adapter.dispatch('file_kept_materialization', 'cost_per_customer')()) }}
{%- endmacro %}

{% macro default__file_kept_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__file_kept_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}


{#- The config of a table kept file by file: file_kept_materialization, and the pre-hooks of an
    incremental run, in order: clear_changed_files, keep_rows_of_appended_files, then the
    model's own refresh of the rows it keeps, if any (a macro of this package, by name), e.g.
    their delivery time. -#}
{% macro file_kept_config(refresh_kept_rows=none) -%}
    {%- set pre_hook = [
        '{{ cost_per_customer.clear_changed_files() }}',
        '{{ cost_per_customer.keep_rows_of_appended_files() }}',
    ] -%}
    {%- if refresh_kept_rows is not none -%}
        {%- do pre_hook.append('{{ cost_per_customer.' ~ refresh_kept_rows ~ '() }}') -%}
    {%- endif -%}
    {{ return({
        'materialized': cost_per_customer.file_kept_materialization(),
        'pre_hook': pre_hook,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}


{#- Whether this model's table, on an incremental run, has the file_version column to keep files by
    (a table made by an earlier version of the project may not: its build then fails on the
    schema change, asking for --full-refresh, rather than read every file on top of its rows).
    False without introspection (`dbt compile --no-introspect` compiles it as a full build), and in
    a dbt unit test (the model's logic on the rows it is given: there is no table). -#}
{% macro keeps_files() -%}
    {%- if model.resource_type == 'unit_test' or not cost_per_customer.is_incremental_introspected() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return('file_version' in columns and 'source_file' in columns) }}
{%- endmacro %}


{#- The files whose rows this model's table already holds at their current version: a build leaves
    them out of what it reads (an empty list on a full build). -#}
{% macro files_kept() -%}
    {{ return(cost_per_customer.files_held_at('file_version') | map('first') | list) }}
{%- endmacro %}


{#- The files whose rows this model's table holds at the version their current one went on from
    (records appended since: int_landed_file_versions.appended_to_file_version), as
    [source_file, appended_after_row] pairs: a build keeps those rows and reads only the ones after
    them (an empty list on a full build). -#}
{% macro files_appended() -%}
    {{ return(cost_per_customer.files_held_at('appended_to_file_version')) }}
{%- endmacro %}


{#- The files whose rows a table holds at the version of int_landed_file_versions' given column,
    as [source_file, appended_after_row] pairs sorted by file: one query on the table. The table is
    this model's (an empty list on a full build), or the given relation with the columns
    source_file and file_version (int_files_processed: files_checked). -#}
{% macro files_held_at(version_column, relation=none) -%}
    {%- if relation is none -%}
        {%- if not cost_per_customer.keeps_files() -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set relation = this -%}
    {%- endif -%}
    {%- set found = run_query(
        "select distinct kept.source_file, versions.appended_after_row from " ~ relation ~ " as kept"
        ~ " inner join " ~ ref('int_landed_file_versions') ~ " as versions"
        ~ " on kept.source_file = versions.source_file and kept.file_version = versions." ~ version_column
        ~ " order by 1") -%}
    {{ return(found.rows | map('list') | list) }}
{%- endmacro %}


{#- The rows of the model `tested` (its name), whose rows of a landed file follow from that file
    alone (its version), that the data tests have already checked, at the version
    int_files_processed records for each file: {'files': the files checked at their current
    version, 'appended': [source_file, appended_after_row] pairs of the files re-delivered with
    records appended since}. A test reads the model's rows with `not` in_files and
    in_rows_appended_to of them (valid_rows changed_files). Nothing is checked yet on a full
    refresh, without the record (a new warehouse, or `dbt compile --no-introspect`) and in a dbt
    unit test: every row is checked. A compile error unless int_files_processed depends on
    `tested`: it must record the files after the test. -#}
{% macro files_checked(tested) -%}
    {#- Referenced whatever the branch, so that a test reading the versions runs after they are built. -#}
    {%- set versions = ref('int_landed_file_versions') -%}
    {%- set none_checked = {'files': [], 'appended': []} -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(none_checked) }}
    {%- endif -%}
    {%- set recorder = graph.nodes.get('model.' ~ project_name ~ '.int_files_processed') -%}
    {%- if recorder is not none and ('model.' ~ project_name ~ '.' ~ tested) not in recorder.depends_on.nodes -%}
        {{ exceptions.raise_compiler_error(
            "valid_rows changed_files on " ~ tested ~ ": int_files_processed must depend on " ~ tested
            ~ " (a -- depends_on comment), so that it records the files after this test") }}
    {%- endif -%}
    {%- set recorded = adapter.get_relation(
        database=recorder.database, schema=recorder.schema, identifier=recorder.alias
    ) if recorder is not none and flags.INTROSPECT and not flags.FULL_REFRESH else none -%}
    {%- if recorded is none -%}
        {{ return(none_checked) }}
    {%- endif -%}
    {{ return({
        'files': cost_per_customer.files_held_at('file_version', recorded) | map('first') | list,
        'appended': cost_per_customer.files_held_at('appended_to_file_version', recorded),
    }) }}
{%- endmacro %}


{#- A condition holding for the rows still to read of a model kept file by file: the rows of the
    files not in `files` (files_kept, or files_checked's files), and of the files in `appended`
    ([source_file, appended_after_row] pairs) only the rows after appended_after_row. Rows are
    numbered by source_row. -#}
{% macro in_rows_to_read(source_file_column, files, appended) -%}
    not ({{ cost_per_customer.in_files(source_file_column, files) }})
    and not ({{ cost_per_customer.in_rows_appended_to(source_file_column, 'source_row', appended) }})
{%- endmacro %}


{#- A condition holding for the rows a model kept file by file already holds of the files that went
    on from the version it holds (files_appended: their rows up to appended_after_row), `false`
    for none: the model reads its staging rows with `not` it. -#}
{% macro in_rows_appended_to(source_file_column, source_row_column, appended) -%}
    {%- if appended | length == 0 -%}
        false
    {%- else -%}
        (
            {%- for file, last_row in appended %}
            ({{ source_file_column }} = '{{ file | replace("'", "''") }}' and {{ source_row_column }} <= {{ last_row | int }}){{ " or" if not loop.last }}
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{#- The record of its file a model kept file by file starts reading after: appended_after_row for the
    rows of the files that went on from the version it holds (files_appended), 0 for the others,
    read whole. -#}
{% macro read_after_row(source_file_column, appended) -%}
    {%- if appended | length == 0 -%}
        0
    {%- else -%}
        case {{ source_file_column }}
            {%- for file, last_row in appended %}
            when '{{ file | replace("'", "''") }}' then {{ last_row | int }}
            {%- endfor %}
            else 0
        end
    {%- endif -%}
{%- endmacro %}


{#- A condition holding for the rows of the given files (`false` for none): a model kept file by file
    reads its staging rows with `not` it and the kept files (files_kept), and refreshes those
    files' rows with it. -#}
{% macro in_files(source_file_column, files) -%}
    {%- if files | length == 0 -%}
        false
    {%- else -%}
        {{ source_file_column }} in (
            {%- for file in files %}'{{ file | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
        )
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook of a table kept file by file, on an incremental run (`select 1` otherwise): delete
    the rows of every file that is no longer landed, or whose version changed; the run inserts
    the rows of the files read again. -#}
{% macro clear_changed_files() -%}
    {%- if cost_per_customer.keeps_files() -%}
        delete from {{ this }}
        where file_version is null
            or not exists (
                select 1
                from {{ ref('int_landed_file_versions') }} as versions
                where versions.source_file = {{ this.identifier }}.source_file
                    and (
                        versions.file_version = {{ this.identifier }}.file_version
                        or versions.appended_to_file_version = {{ this.identifier }}.file_version
                    )
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook after clear_changed_files: the rows of a file that went on from the version this
    table holds (records appended since) are its current version's first rows: they take its
    file_version (`select 1` on a full build). -#}
{% macro keep_rows_of_appended_files() -%}
    {%- if cost_per_customer.keeps_files() -%}
        update {{ this }}
        set file_version = versions.file_version
        from {{ ref('int_landed_file_versions') }} as versions
        where {{ this.identifier }}.source_file = versions.source_file
            and {{ this.identifier }}.file_version = versions.appended_to_file_version
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The version of a landed file (int_landed_file_versions) with the given size and content hash
    columns of ``relation`` (stg_landing__files): an md5 of its table, size, content hash and
    landing key, and of staging_fingerprint. -#}
{% macro landed_file_version(relation, size_column, sha256_column) -%}
    md5(concat_ws('|',
        {{ relation }}.landed_table,
        cast({{ relation }}.{{ size_column }} as {{ dbt.type_string() }}),
        {{ relation }}.{{ sha256_column }},
        {{ relation }}.landing_key,
        '{{ cost_per_customer.staging_fingerprint() }}'
    ))
{%- endmacro %}


{#- A fingerprint of what the staging models make of a landed file's rows beyond the rows themselves:
    the settings they read (the customer tag key, the default currency) and the project's code. Not
    the allocation rules: editing them leaves staging alone. -#}
{% macro staging_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in ['cpc_customer_tag_key', 'cpc_default_currency'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(cost_per_customer.setting(name))) -%}
    {%- endfor -%}
    {%- do parts.append(cost_per_customer.project_code_fingerprint()) -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
