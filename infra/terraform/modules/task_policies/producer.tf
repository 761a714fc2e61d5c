# The producer: REST API that publishes events, records job state and handles files.

data "aws_iam_policy_document" "producer" {
  source_policy_documents = [
    data.aws_iam_policy_document.publish_and_job_state.json,
    data.aws_iam_policy_document.storage_key.json,
  ]

  # GET /ready: the table and the topic answer (conveyor_producer.http.readiness).
  statement {
    sid       = "ReadinessTable"
    actions   = ["dynamodb:DescribeTable"]
    resources = [var.table_arn]
  }

  statement {
    sid       = "ReadinessTopic"
    actions   = ["sns:GetTopicAttributes"]
    resources = [var.topic_arn]
  }

  statement {
    sid = "ExportDownloads"
    # Presigned export links act with the signer's rights: GetObject, nothing more.
    actions   = ["s3:GetObject"]
    resources = ["${var.exports_bucket_arn}/exports/*"]
  }

  # Streams uploads in (PutObject and its multipart calls), signs presigned POSTs and
  # error-report links (which act with these rights), and checks presigned uploads (HEAD).
  statement {
    sid       = "Uploads"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = ["${var.uploads_bucket_arn}/uploads/*"]
  }

  # Without it, S3 answers a HEAD of a key not uploaded yet with 403 instead of 404, and
  # completing a presigned upload before the file is there reads as an S3 outage.
  statement {
    sid       = "CheckUploads"
    actions   = ["s3:ListBucket"]
    resources = [var.uploads_bucket_arn]
  }
}
