{#- The settings a build runs with (allocation.yml, validated by cpc): where a macro or model reads
    one, and in which order the places that may give it are asked. -#}

{#- A setting's value. In order:
    1. the JSON object in the environment variable CPC_SETTINGS, which `cpc build` sets to the
       validated allocation.yml (cpc.rules, RuleSet.to_dbt_vars), when it names the setting;
    2. the dbt var of that name: `dbt build --vars` when dbt is run by hand, else dbt_project.yml;
    3. `default`.
    cpc gives the settings in the environment, and step 1 is taken only when dbt runs a node
    (`execute`), never while it parses the project: dbt parses the whole project again whenever
    the command line's vars change, so with --vars every input with other rules cost a full parse,
    whereas this way builds of any rules share one parse. (Nothing a parse records, a ref or a
    config, depends on a setting.) A unit test skips step 1: its rows and expectations are written
    for the project's settings and its own `overrides: vars`, whatever allocation.yml the build
    was given. -#}
{% macro setting(name, default=none) -%}
    {%- if execute and not (model is mapping and model.get('resource_type') == 'unit_test') -%}
        {%- set given = env_var('CPC_SETTINGS', '') -%}
        {%- if given -%}
            {%- set settings = fromjson(given) -%}
            {%- if settings is not mapping -%}
                {{ exceptions.raise_compiler_error("CPC_SETTINGS must hold a JSON object of settings, got: " ~ given[:200]) }}
            {%- endif -%}
            {%- if name in settings -%}
                {{ return(settings[name]) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(var(name, default)) }}
{%- endmacro %}
