"""The files feature (bulk imports), as the composition root registers it."""

from __future__ import annotations

from conveyor_producer.http.features import Feature
from conveyor_producer.imports.ports import FileAdapters
from conveyor_producer.imports.problems import FILE_PROBLEMS
from conveyor_producer.imports.routes import FilesController
from conveyor_producer.imports.service import FileService


def file_service(adapters: FileAdapters) -> FileService:
    return FileService(
        publisher=adapters.publisher,
        state_table=adapters.state_table,
        states=adapters.import_states,
        history=adapters.import_history,
        storage=adapters.uploads,
        limits=adapters.upload_limits,
        clock=adapters.clock,
    )


FILES: Feature[FileAdapters] = Feature(
    controller=FilesController,
    # FilesController's routes take the service as `files`.
    service_name="files",
    build_service=file_service,
    problems=FILE_PROBLEMS,
)
