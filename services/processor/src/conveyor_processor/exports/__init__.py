"""Data exports: claim a requested export, stream it into S3, record and announce the outcome."""
