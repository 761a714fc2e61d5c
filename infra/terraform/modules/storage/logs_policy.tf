# Who may write into the logs bucket: S3 server access logging for the data buckets
# (under s3/) and Elastic Load Balancing for the producer's load balancer (under alb/).

data "aws_caller_identity" "current" {}
data "aws_elb_service_account" "current" {}

data "aws_iam_policy_document" "logs" {
  # One statement per data bucket: each may write its own logs only.
  dynamic "statement" {
    for_each = local.data_buckets

    content {
      sid       = "S3ServerAccessLogs${title(statement.key)}"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this["logs"].arn}/${local.access_log_prefix[statement.key]}*"]

      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [aws_s3_bucket.this[statement.key].arn]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  statement {
    sid       = "LoadBalancerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["logs"].arn}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.this["logs"].id
  policy = data.aws_iam_policy_document.logs.json
  # The public access block first, so the bucket is never briefly open to a policy.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
