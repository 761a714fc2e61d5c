"""Bulk imports of orders from uploaded files (the `files` REST resource): the file's
job record, its formats and the vocabulary of rejected rows."""
