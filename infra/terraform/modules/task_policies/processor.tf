# The processor: consumes its queue, stores orders, runs exports and imports,
# publishes what it stored or finished.

data "aws_iam_policy_document" "processor" {
  source_policy_documents = [
    data.aws_iam_policy_document.worker_queues["processor"].json,
    data.aws_iam_policy_document.publish_and_job_state.json,
    data.aws_iam_policy_document.storage_key.json,
  ]

  # Writes export files; never reads one back (e-mailed links lead through the API,
  # which signs each download).
  statement {
    sid       = "WriteExports"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
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
}
