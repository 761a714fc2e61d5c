"""Long-running jobs of any kind: claimed under a lease, run with progress, finished once."""
