"""`reports/marketing_report`: the journey analytics as one HTML report with a
chart per metric, rebuilt after the analytics marts each run."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Definitions,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import omnihub_dbt_models
from orchestration.defs.reports.page import render
from orchestration.defs.reports.queries import MODELS
from orchestration.resources import WarehouseResource


@asset(
    key=AssetKey(["reports", "marketing_report"]),
    group_name="reports",
    deps=[get_asset_key_for_model([omnihub_dbt_models], model) for model in MODELS],
    kinds={"python", "html"},
    owners=["team:marketing-ops"],
    tags={"layer": "reports"},
    description=(
        "Cross-channel engagement, value by channel count, retention, journey completion, "
        "attribution, purchase paths, CSAT, channel influence, revenue and flows by journey "
        "stage, lead quality, support resolution times and topics as one self-contained HTML "
        "file (plotly inline, "
        "opens offline): $OMNIHUB_DATA_DIR/reports/marketing_report.html."
    ),
)
def marketing_report(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    report = render(warehouse.get())
    context.log.info(f"{len(report.charts)} charts written to {report.path}")
    headline = report.headline
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(report.path)),
            "charts": len(report.charts),
            "cross_channel_rate_last_month": headline["cross_channel_rate_last_month"],
            "last_complete_month": headline["last_complete_month"],
            "omnichannel_vs_single_channel_ltv": headline["omnichannel_vs_single_channel_ltv"],
            "repeat_purchase_rate": headline["repeat_purchase_rate"],
        }
    )


defs = Definitions(assets=[marketing_report])
