{#- Incremental models, per engine.

    DuckDB and PostgreSQL: delete+insert on the model's key. Staging reads only
    the raw rows landed since the last run and replaces the versions they
    supersede (latest_versions.sql).

    Spark (plain Parquet tables: no delete, no merge without Delta or Iceberg):
    insert_overwrite. Staging recomputes the newest version of every record from
    the raw lake and overwrites the table; a model keyed by date
    (customer_health_history) overwrites only that date's partition; a model
    that reads its own previous state (int_identity__assignments) reads it from
    a snapshot taken just before (Spark refuses to overwrite a table the same
    query reads). -#}

{% macro upsert_strategy() -%}
    {{ return(adapter.dispatch('upsert_strategy', 'omnihub')()) }}
{%- endmacro %}

{% macro default__upsert_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__upsert_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{#- Whether this run reads only what is new since the last one (staging). -#}
{% macro reads_incrementally() -%}
    {{ return(adapter.dispatch('reads_incrementally', 'omnihub')()) }}
{%- endmacro %}

{% macro default__reads_incrementally() -%}
    {{ return(is_incremental()) }}
{%- endmacro %}

{% macro spark__reads_incrementally() -%}
    {{ return(false) }}
{%- endmacro %}


{#- The model's own rows as of the start of this run. -#}
{% macro previous_state() -%}
    {{ return(adapter.dispatch('previous_state', 'omnihub')()) }}
{%- endmacro %}

{% macro default__previous_state() -%}
    {{ return(this) }}
{%- endmacro %}

{% macro spark__previous_state() -%}
    {#- a unit test's `this` is its given rows, not a table -#}
    {%- if this is string -%}
        {{ return(this) }}
    {%- endif -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__previous'})) }}
{%- endmacro %}


{#- Pre-hook of a model that reads previous_state(): on Spark, copy the table
    aside first. -#}
{% macro snapshot_previous_state() -%}
    {{ return(adapter.dispatch('snapshot_previous_state', 'omnihub')()) }}
{%- endmacro %}

{% macro default__snapshot_previous_state() -%}
    select 1
{%- endmacro %}

{% macro spark__snapshot_previous_state() -%}
    {%- if is_incremental() -%}
        {%- do run_query('drop table if exists ' ~ previous_state()) -%}
        create table {{ previous_state() }} using parquet as select * from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of an incremental model keyed by `column` whose run writes only
    the keys that changed: remove the rows of keys no longer in `relation` (a
    customer with no purchase left, an id retired by a merge). -#}
{% macro delete_rows_without(column, relation) -%}
    {%- if reads_incrementally() -%}
        delete from {{ this }}
        where {{ column }} in (
            select {{ column }} from {{ this }}
            except
            select {{ column }} from {{ relation }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
