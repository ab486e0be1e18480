{#- Helpers of stg_azure__cost_details: the Azure cost details values that need more than a rename. -#}

{#- Azure writes Tags as JSON object members without the braces ("k": "v","k2": "v2"); some exports
    write a whole object. The text as a JSON object: braces added when the trimmed text does not
    start with '{'; NULL when there are no tags. parse_tags then reads it (NULL when malformed). -#}
{% macro azure_tags_json(column) -%}
    {{ return(adapter.dispatch('azure_tags_json', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_tags_json(column) -%}
    {%- set value = cost_per_customer.clean_text(column) -%}
    case
        when {{ value }} is null then null
        when substring({{ value }}, 1, 1) = '{' then {{ value }}
        else concat('{', {{ value }}, '}')
    end
{%- endmacro %}


{#- FOCUS RegionId from ResourceLocation: lower case without spaces ('CentralUS' and 'Central US'
    -> 'centralus'); NULL when blank. -#}
{% macro azure_region_id(column) -%}
    {{ return(adapter.dispatch('azure_region_id', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_region_id(column) -%}
    lower(replace({{ cost_per_customer.clean_text(column) }}, ' ', ''))
{%- endmacro %}


{#- A key for comparing Azure enumerations: lower case without spaces and hyphens
    ('On Demand', 'OnDemand' -> 'ondemand'; 'Savings Plan' -> 'savingsplan'). -#}
{% macro azure_enum_key(column) -%}
    {{ return(adapter.dispatch('azure_enum_key', 'cost_per_customer')(column)) }}
{%- endmacro %}
{% macro default__azure_enum_key(column) -%}
    lower(replace(replace({{ cost_per_customer.clean_text(column) }}, ' ', ''), '-', ''))
{%- endmacro %}


{#- FOCUS ServiceCategory of an Azure charge, the one place this mapping lives: by MeterCategory
    first (what was metered), then by the resource provider namespace of ConsumedService
    ('Microsoft.Compute'), else 'Other'; NULL when the row names neither (taxes, credits,
    adjustments: no service). Takes the two as cleaned text (clean_text: blanks already NULL),
    compared case-insensitively; each is referenced once per category, so pass short column
    names rather than long expressions. -#}
{% macro azure_service_category(meter_category, consumed_service) -%}
    {{ return(adapter.dispatch('azure_service_category', 'cost_per_customer')(meter_category, consumed_service)) }}
{%- endmacro %}
{% macro default__azure_service_category(meter_category, consumed_service) -%}
    {%- set by_meter_category = {
        'Networking': ['bandwidth', 'virtual network', 'load balancer', 'vpn gateway', 'application gateway', 'azure dns', 'content delivery network', 'azure front door service', 'network watcher', 'expressroute', 'azure firewall', 'nat gateway', 'azure bastion', 'ip addresses'],
        'Storage': ['storage', 'backup', 'azure netapp files'],
        'Compute': ['virtual machines', 'virtual machines licenses', 'cloud services', 'container instances', 'azure kubernetes service', 'functions'],
        'Databases': ['sql database', 'sql managed instance', 'azure cosmos db', 'azure database for postgresql', 'azure database for mysql', 'redis cache'],
        'Management and Governance': ['log analytics', 'azure monitor', 'application insights'],
        'Security': ['key vault', 'microsoft defender for cloud', 'sentinel'],
        'AI and Machine Learning': ['cognitive services', 'azure machine learning'],
        'Integration': ['event hubs', 'service bus', 'logic apps', 'api management', 'azure data factory v2'],
        'Analytics': ['azure synapse analytics', 'azure databricks', 'azure data explorer'],
        'Web': ['azure app service'],
    } -%}
    {%- set by_consumed_service = {
        'Compute': ['microsoft.compute', 'microsoft.classiccompute', 'microsoft.containerinstance', 'microsoft.containerservice', 'microsoft.app', 'microsoft.batch'],
        'Storage': ['microsoft.storage', 'microsoft.classicstorage', 'microsoft.netapp', 'microsoft.containerregistry'],
        'Networking': ['microsoft.network', 'microsoft.classicnetwork', 'microsoft.cdn'],
        'Databases': ['microsoft.sql', 'microsoft.documentdb', 'microsoft.dbforpostgresql', 'microsoft.dbformysql', 'microsoft.cache'],
        'Management and Governance': ['microsoft.insights', 'microsoft.operationalinsights', 'microsoft.automation', 'microsoft.recoveryservices'],
        'Security': ['microsoft.keyvault', 'microsoft.security', 'microsoft.securityinsights'],
        'AI and Machine Learning': ['microsoft.cognitiveservices', 'microsoft.machinelearningservices'],
        'Integration': ['microsoft.eventhub', 'microsoft.servicebus', 'microsoft.logic', 'microsoft.apimanagement', 'microsoft.eventgrid', 'microsoft.datafactory'],
        'Analytics': ['microsoft.synapse', 'microsoft.databricks', 'microsoft.kusto', 'microsoft.streamanalytics'],
        'Web': ['microsoft.web', 'microsoft.search', 'microsoft.signalrservice'],
        'Internet of Things': ['microsoft.devices'],
        'Identity': ['microsoft.aadiam'],
    } -%}
    {%- set meter_key = "lower(" ~ meter_category ~ ")" -%}
    {%- set service_key = "lower(" ~ consumed_service ~ ")" -%}
    case
        {%- for category, names in by_meter_category.items() %}
        when {{ meter_key }} in ('{{ names | join("', '") }}') then '{{ category }}'
        {%- endfor %}
        {%- for category, names in by_consumed_service.items() %}
        when {{ service_key }} in ('{{ names | join("', '") }}') then '{{ category }}'
        {%- endfor %}
        when {{ meter_key }} is null and {{ service_key }} is null then null
        else 'Other'
    end
{%- endmacro %}
