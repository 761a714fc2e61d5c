# The exports and uploads buckets: private, encrypted with a key of the account's own,
# versioned, access-logged, and emptied by lifecycle rules; plus the bucket their
# access logs go to.

locals {
  # Each data bucket keeps its objects under one prefix for its retention. Versioning
  # keeps an overwritten or expired object for a day, long enough to undo a mistake.
  data_buckets = {
    exports = { name = var.exports_bucket_name, prefix = "exports/", days = var.exports_retention_days }
    uploads = { name = var.uploads_bucket_name, prefix = "uploads/", days = var.uploads_retention_days }
  }
  access_log_prefix = { for k, b in local.data_buckets : k => "s3/${b.name}/" }
  all_buckets = merge(
    { for k, b in local.data_buckets : k => b.name },
    { logs = var.logs_bucket_name },
  )
}

module "key" {
  source = "../kms_key"

  alias       = "${var.name_prefix}-storage"
  description = "Conveyor's exports and uploads buckets."
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:exports and uploads live 30 days and can be made again; a second region is not worth its cost
  #checkov:skip=CKV2_AWS_62:nothing reacts to object events: the services announce their files themselves over SNS
  for_each = local.all_buckets

  bucket        = each.value
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    # One data key per bucket rather than per object: fewer KMS calls.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.arn
    }
  }
}

# Server access logs can only be delivered to a bucket encrypted with S3's own keys.
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.this["logs"].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_logging" "data" {
  for_each = local.data_buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.this["logs"].id
  target_prefix = local.access_log_prefix[each.key]
  # S3 checks that the target bucket lets the logging service write.
  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.this[each.key].id
  # Versioning first: rules on noncurrent versions need it.
  depends_on = [aws_s3_bucket_versioning.this]

  rule {
    id     = "expire-${each.key}"
    status = "Enabled"

    filter {
      prefix = each.value.prefix
    }

    expiration {
      days = each.value.days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # An upload cut short (a killed export, a client gone) leaves no open multipart upload.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket     = aws_s3_bucket.this["logs"].id
  depends_on = [aws_s3_bucket_versioning.this]

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

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
  bucket = aws_s3_bucket.this["uploads"].id

  cors_rule {
    id              = "presigned-uploads"
    allowed_origins = var.uploads_cors_allowed_origins
    allowed_methods = ["POST"]
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}
