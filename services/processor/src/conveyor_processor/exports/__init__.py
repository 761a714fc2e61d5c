"""Exports, a kind of job: render the requested rows into a file in S3, catalogue the
job, announce the file or the failure. The job's life is conveyor_processor.jobs'."""
