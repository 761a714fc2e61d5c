"""Bulk imports (the `files` REST resource): uploading a file of orders, streamed or
presigned (FileUploaded), reading, listing and cancelling its import, and templates."""
