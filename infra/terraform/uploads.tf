# The files feature's private bucket: uploaded files of orders and their error reports,
# under uploads/{tenant}/{fileId}/. The producer streams or presigns uploads into it;
# the processor reads them and writes the error reports.

resource "aws_s3_bucket" "uploads" {
  bucket = var.uploads_bucket_name
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  # conveyor_common.imports.model.RETENTION_DAYS
  rule {
    id     = "expire-uploads"
    status = "Enabled"

    filter {
      prefix = "uploads/"
    }

    expiration {
      days = 30
    }
  }

  # An upload cut short (a client gone, a cancelled import) leaves no open multipart upload.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# A browser page POSTs the file to the presigned form straight to S3: only the origins
# named in var.uploads_cors_allowed_origins may (none by default: no CORS rule, and
# only non-browser clients use the presigned form). Same rule as conveyor_aws.resources'
# UPLOADS_CORS_*, which the emulator bootstrap applies.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  count  = length(var.uploads_cors_allowed_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.uploads.id

  cors_rule {
    id              = "presigned-uploads"
    allowed_origins = var.uploads_cors_allowed_origins
    allowed_methods = ["POST"]
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}
