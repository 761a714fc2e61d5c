"""Listing exports: the processor's `export_jobs` table, as jobs.listing reads it."""

from __future__ import annotations

from conveyor_common.exports.job import ExportJob
from conveyor_producer.jobs.listing import HistoryTable

# ExportJob fields only the live state (DynamoDB) keeps: export_jobs has no column
# for them, so a listed job has ExportJob's defaults there.
LIVE_ONLY_FIELDS = frozenset(
    {
        "notify",
        "include_bom",
        "progress_percentage",
        "cancel_requested",
        "lease_owner",
        "lease_expires_at",
        "retrying_since",
        "last_error",
    }
)
EXPORT_HISTORY = HistoryTable(
    name="export_jobs", id_column="export_id", record=ExportJob, unlisted=LIVE_ONLY_FIELDS
)
