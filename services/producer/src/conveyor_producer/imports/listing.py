"""Listing uploads: the processor's `import_jobs` table, as jobs.listing reads it."""

from __future__ import annotations

from conveyor_common.imports.job import ImportJob
from conveyor_producer.jobs.listing import HistoryTable

# ImportJob fields a listing does not read: only the live state (DynamoDB) keeps the
# workers' bookkeeping and the progress, and a listing needs neither the recipients
# nor the checksum; a listed job has ImportJob's defaults there.
UNLISTED_FIELDS = frozenset(
    {
        "notify",
        "sha256",
        "progress_percentage",
        "cancel_requested",
        "attempts",
        "lease_owner",
        "lease_expires_at",
        "retrying_since",
        "last_error",
    }
)
IMPORT_HISTORY = HistoryTable(
    name="import_jobs", id_column="file_id", record=ImportJob, unlisted=UNLISTED_FIELDS
)
