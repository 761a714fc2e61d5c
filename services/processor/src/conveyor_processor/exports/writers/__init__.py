"""File writers: typed rows in, one XLSX or PDF file streamed to a sink."""
