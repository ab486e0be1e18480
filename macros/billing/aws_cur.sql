{#- AWS Cost and Usage Report specifics used by stg_aws__cost_and_usage: the tag keys of CUR 2.0
    and the FOCUS ServiceCategory of an AWS charge. -#}

{#- CUR 2.0 (and Athena-style legacy CUR) writes tag keys in snake_case with the tag's origin as a
    `user_` / `aws_` prefix (`user_customer_id`), where legacy CUR writes `user:customer_id`. This
    turns the leading `user_` / `aws_` of a key into `user:` / `aws:`, so that map_tag_value (which
    ignores a prefix up to the first `:`) finds `customer_id` in both layouts. Safe for AWS tags
    only: every AWS cost allocation tag key starts with one of those two prefixes. A key whose
    rewritten spelling is already in the map is dropped rather than duplicated. -#}
{% macro aws_cur_tags_map(tags_map) -%}
    {{ return(adapter.dispatch('aws_cur_tags_map', 'cost_per_customer')(tags_map)) }}
{%- endmacro %}
{% macro default__aws_cur_tags_map(tags_map) -%}
    map_from_entries(list_transform(
        list_filter(
            map_entries({{ tags_map }}),
            lambda tag: not (
                regexp_matches(tag.key, '^(user|aws)_')
                and list_contains(map_keys({{ tags_map }}), regexp_replace(tag.key, '^(user|aws)_', '\1:'))
            )
        ),
        lambda tag: {'key': regexp_replace(tag.key, '^(user|aws)_', '\1:'), 'value': tag.value}
    ))
{%- endmacro %}
{% macro spark__aws_cur_tags_map(tags_map) -%}
    transform_keys(
        map_filter(
            {{ tags_map }},
            (tag_key, tag_text) -> not (
                tag_key rlike '^(user|aws)_'
                and array_contains(map_keys({{ tags_map }}), regexp_replace(tag_key, '^(user|aws)_', '$1:'))
            )
        ),
        (tag_key, tag_text) -> regexp_replace(tag_key, '^(user|aws)_', '$1:')
    )
{%- endmacro %}


{#- FOCUS ServiceCategory of an AWS charge: the category the seed provider_service_categories
    lists for its product code (lineItem/ProductCode, joined by the staging model as
    `listed_category`); a code not listed falls back on its product family (data transfer is
    Networking, storage families Storage, ...) and then to 'Other'; no code at all is NULL. Takes
    column names. -#}
{% macro aws_cur_service_category(listed_category, product_code, product_family) -%}
    {{ return(adapter.dispatch('aws_cur_service_category', 'cost_per_customer')(listed_category, product_code, product_family)) }}
{%- endmacro %}
{% macro default__aws_cur_service_category(listed_category, product_code, product_family) -%}
    case
        when {{ listed_category }} is not null then {{ listed_category }}
        when lower({{ product_family }}) like '%data transfer%' then 'Networking'
        when lower({{ product_family }}) like '%storage%' then 'Storage'
        when lower({{ product_family }}) like 'database%' then 'Databases'
        when lower({{ product_family }}) like 'compute%' then 'Compute'
        when {{ product_code }} is null then null
        else 'Other'
    end
{%- endmacro %}
