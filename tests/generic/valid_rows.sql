{#- What makes a row of a model valid, in one test: one query and one node of the build, where a
    test per column and per check would cost a node each. Every argument is optional, but at least
    one check is needed:
      key              columns whose combination no two rows share (NULLs compare equal);
      required         columns that are never NULL;
      accepted_values  {column: [values]}: a non-NULL value is one of these strings;
      not_negative     columns never below 0;
      between          {column: [min, max]}: a non-NULL value within these bounds;
      required_when    {column: condition}: the column is not NULL on rows where the SQL condition holds;
      changed_days     a date column: check only the rows of the days this build allocates
                       (int_days_to_process) and the rows without a day. For the ledger tables that
                       keep every day: an incremental build checks what it wrote, not the days it kept
                       (--full-refresh checks them all). Leave it out where a key could repeat across days.
      references       [{column, to, field, where}]: a non-NULL value of `column` is a `field` of the
                       model named `to` (on the rows where the optional SQL condition `where` holds);
                       with changed_days or changed_files, for the rows those leave to check
      changed_files    the column naming each row's landed file (the rows numbered by source_row): check
                       only the rows of the files whose version changed since a build last checked them
                       (int_files_processed records it), and of a file re-delivered with records
                       appended only the new ones (--full-refresh checks them all). For a model whose
                       rows of a file follow from that file alone, tested before int_files_processed is
                       written (it depends on the model), with a key that holds within a file.
    Fails with each row that breaks a check, `failed_checks` naming which (comma-separated): with a
    key, each such row by its key, and each repeated key once with `repeated_key_rows`, how many
    rows share it; without a key, each such row whole. -#}
{% test valid_rows(model, key=none, required=none, accepted_values=none, not_negative=none, between=none, required_when=none, references=none, changed_days=none, changed_files=none) %}
    {%- set where = "valid_rows on " ~ model ~ ": " -%}
    {%- for name, value in {"key": key, "required": required, "not_negative": not_negative}.items() -%}
        {%- if value is not none and (value is string or value is mapping or value | length == 0) -%}
            {{ exceptions.raise_compiler_error(where ~ name ~ " must be a non-empty list of columns, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, value in {"accepted_values": accepted_values, "between": between, "required_when": required_when}.items() -%}
        {%- if value is not none and (value is not mapping or value | length == 0) -%}
            {{ exceptions.raise_compiler_error(where ~ name ~ " must be a non-empty mapping of column to check, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}

    {#- (label, condition that makes the row fail) for each check of a row -#}
    {%- set checks = [] -%}
    {%- for column in required or [] -%}
        {%- do checks.append((column ~ " is null", column ~ " is null")) -%}
    {%- endfor -%}
    {%- for column, values in (accepted_values or {}).items() -%}
        {%- if values is string or values is mapping or values | length == 0 -%}
            {{ exceptions.raise_compiler_error(where ~ "accepted_values of " ~ column ~ " must be a non-empty list, got " ~ values) }}
        {%- endif -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- if "'" in value | string or "\\" in value | string -%}
                {{ exceptions.raise_compiler_error(where ~ "accepted value " ~ value ~ " of " ~ column ~ " has a quote or a backslash") }}
            {%- endif -%}
            {%- do quoted.append("'" ~ value ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append((column ~ " not accepted", column ~ " not in (" ~ quoted | join(", ") ~ ")")) -%}
    {%- endfor -%}
    {%- for column in not_negative or [] -%}
        {%- do checks.append((column ~ " negative", column ~ " < 0")) -%}
    {%- endfor -%}
    {%- for column, bounds in (between or {}).items() -%}
        {%- if bounds is string or bounds is mapping or bounds | length != 2 -%}
            {{ exceptions.raise_compiler_error(where ~ "between of " ~ column ~ " must be [min, max], got " ~ bounds) }}
        {%- endif -%}
        {%- do checks.append((column ~ " outside [" ~ bounds[0] ~ ", " ~ bounds[1] ~ "]",
                              "(" ~ column ~ " < " ~ bounds[0] ~ " or " ~ column ~ " > " ~ bounds[1] ~ ")")) -%}
    {%- endfor -%}
    {%- for column, condition in (required_when or {}).items() -%}
        {%- do checks.append((column ~ " is null where required", "(" ~ condition ~ ") and " ~ column ~ " is null")) -%}
    {%- endfor -%}
    {#- The rows checked: every row, or with changed_days or changed_files only those that changed
        (`scoped`, a query; `rows`, what the checks select from). `narrowed`: the build left rows
        out (an incremental build's days written out, or files already checked). -#}
    {%- set scoped = none -%}
    {%- set narrowed = false -%}
    {%- if changed_days is not none -%}
        {%- if changed_days is not string or not changed_days -%}
            {{ exceptions.raise_compiler_error(where ~ "changed_days must be the name of a date column, got " ~ changed_days) }}
        {%- endif -%}
        {%- set scoped -%}
        select * from {{ model }} where {{ cost_per_customer.in_days_to_process(changed_days, undated=true) }}
        {%- endset -%}
        {%- set narrowed = not (cost_per_customer.days_to_process_list() | trim | lower).startswith('select') -%}
    {%- endif -%}
    {%- if changed_files is not none -%}
        {%- if changed_files is not string or not changed_files or changed_days is not none -%}
            {{ exceptions.raise_compiler_error(where ~ "changed_files must be the name of a column holding each row's file, without changed_days, got " ~ changed_files) }}
        {%- endif -%}
        {%- set checked = cost_per_customer.files_checked(model.identifier) -%}
        {%- set scoped -%}
        select * from {{ model }}
         where {{ cost_per_customer.in_rows_to_read(changed_files, checked.files, checked.appended) }}
        {%- endset -%}
        {%- set narrowed = checked.files | length > 0 or checked.appended | length > 0 -%}
    {%- endif -%}
    {%- set rows = model if scoped is none else "(" ~ scoped ~ ") as changed_rows" -%}
    {#- Each reference: a left join to the distinct values of the field it names (reference_<n>); when
        the build narrowed the rows checked, of only the values they hold (so that the referenced
        model is not read whole for a few rows). -#}
    {%- set reference_joins = [] -%}
    {%- if references is not none and (references is string or references is mapping or references | length == 0) -%}
        {{ exceptions.raise_compiler_error(where ~ "references must be a non-empty list of {column, to, field[, where]}, got " ~ references) }}
    {%- endif -%}
    {%- for reference in references or [] -%}
        {%- if reference is not mapping or not reference.get('column') or not reference.get('to') or not reference.get('field') -%}
            {{ exceptions.raise_compiler_error(where ~ "each reference must be {column, to, field[, where]}, got " ~ reference) }}
        {%- endif -%}
        {%- set alias = "reference_" ~ loop.index -%}
        {%- set values_held = "" if not narrowed else
            " where " ~ reference.field ~ " in (select referring." ~ reference.column ~ " from (" ~ scoped ~ ") as referring)" -%}
        {%- do reference_joins.append(
            "left join (select distinct " ~ reference.field ~ " as " ~ alias ~ "_value from " ~ ref(reference.to) ~ values_held ~ ") as " ~ alias
            ~ " on checked_rows." ~ reference.column ~ " = " ~ alias ~ "." ~ alias ~ "_value") -%}
        {%- do checks.append((reference.column ~ " not in " ~ reference.to ~ "." ~ reference.field,
                              "(" ~ (reference.get('where') or 'true') ~ ") and " ~ reference.column ~ " is not null and "
                              ~ alias ~ "." ~ alias ~ "_value is null")) -%}
    {%- endfor -%}
    {%- if not key and checks | length == 0 -%}
        {{ exceptions.raise_compiler_error(where ~ "give at least one check (key, required, accepted_values, not_negative, between, required_when, references)") }}
    {%- endif %}

    {#- The rows the row checks read, named checked_rows, with the references joined. -#}
    {%- set checked_rows -%}
        (select * from {{ rows }}) as checked_rows
        {%- for join in reference_joins %}
        {{ join }}
        {%- endfor %}
    {%- endset %}

    {%- set labels %}
        concat_ws(', '
        {%- for label, condition in checks %},
            case when {{ condition }} then '{{ label }}' end
        {%- endfor %}
        )
    {%- endset %}

    {%- set failing %}
    where
    {%- for label, condition in checks %}
        {{ "or " if not loop.first }}{{ condition }}
    {%- endfor %}
    {%- endset %}

    {#- A repeated key is found by grouping, the other checks row by row: two queries over the
        model in a union, not a join (a join of a large view with itself can take Spark's planner
        minutes). With a key, a failing row is shown by its key; without one, whole. #}
    {%- if key %}
    select
        'key ({{ key | join(", ") }}) repeated' as failed_checks,
        {{ key | join(", ") }},
        count(*) as repeated_key_rows
    from {{ rows }}
    group by {{ key | join(", ") }}
    having count(*) > 1
    {%- if checks %}

    union all

    select
        {{ labels }} as failed_checks,
        {%- for column in key %}
        checked_rows.{{ column }},
        {%- endfor %}
        cast(null as bigint) as repeated_key_rows
    from {{ checked_rows }}
    {{ failing }}
    {%- endif %}
    {%- else %}
    select
        {{ labels }} as failed_checks,
        checked_rows.*
    from {{ checked_rows }}
    {{ failing }}
    {%- endif %}
{% endtest %}
