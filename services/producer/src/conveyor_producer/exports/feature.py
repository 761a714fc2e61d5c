"""The exports feature, as the composition root registers it."""

from __future__ import annotations

from conveyor_producer.exports.ports import ExportAdapters
from conveyor_producer.exports.problems import EXPORT_PROBLEMS
from conveyor_producer.exports.routes import ExportsController
from conveyor_producer.exports.service import ExportService
from conveyor_producer.http.features import Feature


def export_service(adapters: ExportAdapters) -> ExportService:
    return ExportService(
        publisher=adapters.publisher,
        state_table=adapters.state_table,
        states=adapters.export_states,
        row_counter=adapters.row_counter,
        history=adapters.export_history,
        signer=adapters.signer,
        clock=adapters.clock,
    )


EXPORTS: Feature[ExportAdapters] = Feature(
    controller=ExportsController,
    # ExportsController's routes take the service as `exports`.
    service_name="exports",
    build_service=export_service,
    problems=EXPORT_PROBLEMS,
)
