{#- The column sums to 1 (within a rounding tolerance) within each group: the
    weights an attribution model gives one order's touches. Fails with each
    group whose sum is off. -#}
{% test sums_to_one(model, column_name, group_by, tolerance=0.000001) %}

select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > {{ tolerance }}

{% endtest %}
