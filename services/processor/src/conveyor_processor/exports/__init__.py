"""Exports, a kind of job: render the requested rows into a file in S3, keep it in
the `export_jobs` history, announce the file or the failure. The job's life itself
is conveyor_processor.jobs'."""
