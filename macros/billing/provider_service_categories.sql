{#- FOCUS ServiceCategory for a provider's own service name, for exports that carry no category
    (Google Cloud's service.description, Oracle Cloud's product/service). Names are matched
    case-insensitively after trimming; a name the list does not know is 'Other', no name at all is
    NULL (which the cost categories read as overhead). The lists hold the common services only:
    extend them here when a bill shows 'Other' for a service that has a better category. -#}

{% macro provider_service_categories(provider) -%}
    {%- set categories = {
        'gcp': {
            'Compute': ['Compute Engine', 'Kubernetes Engine', 'Cloud Run', 'Cloud Run Functions', 'Cloud Functions',
                        'App Engine', 'VMware Engine', 'Batch', 'Anthos'],
            'Storage': ['Cloud Storage', 'Filestore', 'Cloud Filestore', 'Persistent Disk', 'Backup for GKE',
                        'BigQuery Storage API'],
            'Databases': ['Cloud SQL', 'Cloud Spanner', 'Spanner', 'Cloud Bigtable', 'Bigtable', 'Firestore',
                          'Cloud Firestore', 'AlloyDB', 'AlloyDB for PostgreSQL', 'Cloud Memorystore for Redis',
                          'Memorystore for Redis', 'Cloud Memorystore for Memcached', 'Datastream'],
            'Analytics': ['BigQuery', 'BigQuery Reservation API', 'BigQuery BI Engine', 'Cloud Dataflow', 'Dataflow',
                          'Cloud Dataproc', 'Dataproc', 'Cloud Composer', 'Looker', 'Data Catalog', 'Cloud Data Fusion'],
            'Networking': ['Networking', 'Cloud DNS', 'Cloud CDN', 'Cloud Load Balancing', 'Cloud NAT', 'Cloud VPN',
                           'Cloud Interconnect', 'Network Intelligence Center'],
            'Management and Governance': ['Cloud Logging', 'Cloud Monitoring', 'Stackdriver Logging',
                                          'Stackdriver Monitoring', 'Stackdriver Trace', 'Cloud Trace', 'Stackdriver'],
            'Security': ['Secret Manager', 'Cloud Key Management Service (KMS)', 'Security Command Center',
                         'Cloud Armor', 'Certificate Authority Service', 'reCAPTCHA Enterprise', 'Identity Platform'],
            'AI and Machine Learning': ['Vertex AI', 'Gemini API', 'Cloud TPU', 'Cloud Natural Language',
                                        'Cloud Vision API', 'Cloud Speech API', 'Cloud Translation', 'Cloud AutoML'],
            'Developer Tools': ['Cloud Build', 'Artifact Registry', 'Container Registry', 'Cloud Scheduler', 'Cloud Tasks',
                                'Cloud Source Repositories'],
            'Integration': ['Cloud Pub/Sub', 'Pub/Sub', 'API Gateway', 'Workflows', 'Apigee', 'Eventarc'],
        },
        'oci': {
            'Compute': ['COMPUTE', 'FUNCTIONS', 'OKE', 'CONTAINER_ENGINE', 'CONTAINER_INSTANCES'],
            'Storage': ['BLOCK_STORAGE', 'OBJECT_STORAGE', 'FILE_STORAGE', 'ARCHIVE_STORAGE'],
            'Databases': ['DATABASE', 'AUTONOMOUS_DATABASE', 'MYSQL', 'NOSQL', 'POSTGRESQL', 'EXADATA'],
            'Networking': ['NETWORK', 'LOAD_BALANCER', 'NETWORK_LOAD_BALANCER', 'DNS', 'FASTCONNECT', 'VCN'],
            'Management and Governance': ['LOGGING', 'MONITORING', 'TELEMETRY', 'LOGGING_ANALYTICS', 'APM'],
            'Security': ['VAULT', 'KMS', 'WAF', 'CLOUD_GUARD', 'BASTION'],
            'Integration': ['NOTIFICATIONS', 'STREAMING', 'EVENTS', 'QUEUE', 'API_GATEWAY'],
            'AI and Machine Learning': ['DATA_SCIENCE', 'AI_SERVICES', 'GENERATIVE_AI'],
            'Analytics': ['ANALYTICS', 'DATA_FLOW', 'DATA_INTEGRATION'],
        },
    } -%}
    {%- if provider not in categories -%}
        {{ exceptions.raise_compiler_error("provider_service_category in " ~ this ~ ": unknown provider '" ~ provider ~ "' (known: " ~ categories.keys() | join(', ') ~ ")") }}
    {%- endif -%}
    {{ return(categories[provider]) }}
{%- endmacro %}


{% macro provider_service_category(service_name, provider) -%}
    {{ return(adapter.dispatch('provider_service_category', 'cost_per_customer')(service_name, provider)) }}
{%- endmacro %}
{% macro default__provider_service_category(service_name, provider) -%}
    {%- set categories = cost_per_customer.provider_service_categories(provider) -%}
    case
        when {{ cost_per_customer.clean_text(service_name) }} is null then null
        {%- for category, names in categories.items() %}
        when lower(trim({{ service_name }})) in (
            {%- for name in names %}'{{ name | lower | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
        ) then '{{ category }}'
        {%- endfor %}
        else 'Other'
    end
{%- endmacro %}
