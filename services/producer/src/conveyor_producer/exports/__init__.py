"""Exports: requesting one (ExportRequested), reading, listing and cancelling them."""
