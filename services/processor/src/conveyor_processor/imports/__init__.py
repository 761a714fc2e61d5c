"""Bulk imports of orders from uploaded files, as a kind of job (kind.py)."""
