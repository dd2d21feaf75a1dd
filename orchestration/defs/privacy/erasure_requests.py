"""`privacy/erasure_requests`: the table of people who asked to be forgotten.

Requests are recorded by an operator (`python -m warehouse.erasure`); this asset
makes sure the table exists before dbt reads it and reports how many there are,
so the lineage shows erasure feeding `suppress_erased` and from there every sync.
"""

import sqlalchemy as sa
from dagster import AssetExecutionContext, AssetKey, Definitions, MaterializeResult, asset

from orchestration.resources import WarehouseResource
from warehouse import erasure


@asset(
    key=AssetKey(["privacy", "erasure_requests"]),
    group_name="privacy",
    description=(
        "Erasure requests (hashed identifiers only), recorded with `python -m "
        "warehouse.erasure`. dbt's suppress_erased matches them to customers; every "
        "audience and sync leaves those people out, and syncs remove them where sent."
    ),
    kinds={"python"},
    owners=["team:data-platform"],
    tags={"layer": "privacy"},
)
def privacy_erasure_requests(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    wh = warehouse.get()
    erasure.ensure(wh)
    with wh.transaction() as conn:
        total, latest = conn.execute(
            sa.text(f"select count(*), max(requested_at) from {erasure.TABLE}")
        ).one()
    context.log.info(f"{total} erasure requests on record")
    return MaterializeResult(
        metadata={"requests": int(total), "latest_request_at": str(latest) if latest else "none"}
    )


defs = Definitions(assets=[privacy_erasure_requests])
