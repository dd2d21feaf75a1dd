{#- No two rows share the same values of `columns` (a composite key, such as
    one row per customer and day). Fails with each repeated combination. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
