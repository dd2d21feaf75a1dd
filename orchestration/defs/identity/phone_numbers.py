"""`identity/phone_numbers`: every raw phone read by libphonenumber, before dbt.

Its settings (the default country, the candidate countries for national-format
numbers) are the dbt project's vars, so identity is configured in one place.
"""

from dagster import AssetExecutionContext, AssetKey, Definitions, MaterializeResult, asset

from orchestration.resources import WarehouseResource
from warehouse import phone_numbers


@asset(
    key=AssetKey(["identity", "phone_numbers"]),
    group_name="identity",
    description=(
        "Every raw phone string normalized to E.164 by libphonenumber, per country hint, "
        "with candidate-country readings for national-format numbers; incremental by "
        "_loaded_at. Staging looks phones up here."
    ),
    deps=[AssetKey(["raw", *field.table.split("__", 1)]) for field in phone_numbers.PHONE_FIELDS],
    kinds={"python"},
    owners=["team:data-platform"],
    tags={"layer": "identity"},
)
def identity_phone_numbers(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    default_country, candidates = phone_numbers.settings()
    result = phone_numbers.refresh(
        warehouse.get(), default_country=default_country, candidates=candidates
    )
    context.log.info(
        f"{result.phone_strings_seen} phone strings in newly landed rows, "
        f"{result.readings_added} new readings"
    )
    return MaterializeResult(
        metadata={
            "phone_strings_seen": result.phone_strings_seen,
            "readings_added": result.readings_added,
            "default_country": default_country,
            "candidate_countries": ", ".join(candidates),
        }
    )


defs = Definitions(assets=[identity_phone_numbers])
