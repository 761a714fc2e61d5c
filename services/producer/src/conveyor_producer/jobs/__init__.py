"""What every job feature (exports, files) shares over the API: reading a job as its
caller may, cancelling it, listing a tenant's jobs page by page."""
