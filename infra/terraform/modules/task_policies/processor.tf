# The processor: consumes its queue, stores orders, runs exports and imports,
# publishes what it stored or finished.

data "aws_iam_policy_document" "processor" {
  statement {
    sid       = "ConsumeQueue"
    actions   = local.queue_consumer_actions
    resources = [var.queue_arns["processor"]]
  }

  statement {
    sid       = "ParkInDeadLetterQueue"
    actions   = local.dead_letter_actions
    resources = [var.dead_letter_queue_arns["processor"]]
  }

  statement {
    sid       = "PublishEvents"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }

  statement {
    sid       = "JobState"
    actions   = local.state_table_actions
    resources = [var.table_arn]
  }

  statement {
    sid       = "ReadUploadsWriteExports"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.exports_bucket_arn}/*"]
  }

  # ListBucketMultipartUploads: a reclaimed export aborts the uploads its killed
  # attempts left open under the job's prefix.
  statement {
    sid       = "ListExports"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [var.exports_bucket_arn]
  }

  # Reads uploaded files, writes their error reports.
  statement {
    sid       = "ImportUploads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.uploads_bucket_arn}/uploads/*"]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [var.uploads_bucket_arn]
  }

  statement {
    sid       = "StorageKey"
    actions   = local.storage_key_actions
    resources = [var.storage_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.through_s3]
    }
  }
}
