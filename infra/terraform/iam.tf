# One task role per service, each allowed only what that service does.
# Object-level grants are scoped to the exports bucket, queues to their own
# queue and DLQ, SES to the configured sender address. infra/README.md lists
# the AWS calls each service makes and the grant that covers each one.

locals {
  services = toset(["producer", "processor", "notifier"])

  # What conveyor_aws.state_store.StateStore calls; nothing queries or scans the table.
  state_table_actions = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
  ]

  # What a dramatiq SQS consumer needs: look the queue up, receive, ack,
  # extend visibility on requeue, and re-send for retries.
  queue_consumer_actions = [
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:SendMessage",
  ]

  # The broker looks the DLQ named in the queue's redrive policy up when it starts
  # consuming, and parks there what a worker gives up on (the reason attached).
  dead_letter_actions = [
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
  ]
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = local.services

  name               = "conveyor-${each.key}"
  description        = "Task role of the conveyor ${each.key} service."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# ---- producer: REST API that publishes events and reads job state ----

data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "PublishEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  statement {
    sid       = "JobState"
    actions   = local.state_table_actions
    resources = [aws_dynamodb_table.state.arn]
  }

  # GET /ready: the table and the topic answer (conveyor_producer.http.readiness).
  statement {
    sid       = "ReadinessTable"
    actions   = ["dynamodb:DescribeTable"]
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    sid       = "ReadinessTopic"
    actions   = ["sns:GetTopicAttributes"]
    resources = [aws_sns_topic.events.arn]
  }

  statement {
    sid = "ExportDownloads"
    # Presigned export links act with the signer's rights: GetObject, nothing more.
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.exports.arn}/exports/*"]
  }

  # Streams uploads in (PutObject and its multipart calls), signs presigned POSTs and
  # error-report links (which act with these rights), and checks presigned uploads (HEAD).
  statement {
    sid       = "Uploads"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.uploads.arn}/uploads/*"]
  }

  # Without it, S3 answers a HEAD of a key not uploaded yet with 403 instead of 404, and
  # completing a presigned upload before the file is there reads as an S3 outage.
  statement {
    sid       = "CheckUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.uploads.arn]
  }
}

# ---- processor: consumes its queue, writes exports, publishes results ----

data "aws_iam_policy_document" "processor" {
  statement {
    sid       = "ConsumeQueue"
    actions   = local.queue_consumer_actions
    resources = [aws_sqs_queue.main["processor"].arn]
  }

  statement {
    sid       = "ParkInDeadLetterQueue"
    actions   = local.dead_letter_actions
    resources = [aws_sqs_queue.dlq["processor"].arn]
  }

  statement {
    sid       = "PublishEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  statement {
    sid       = "JobState"
    actions   = local.state_table_actions
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    sid       = "ReadUploadsWriteExports"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.exports.arn}/*"]
  }

  # ListBucketMultipartUploads: a reclaimed export aborts the uploads its killed
  # attempts left open under the job's prefix.
  statement {
    sid       = "ListExports"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.exports.arn]
  }

  # Reads uploaded files, writes their error reports.
  statement {
    sid       = "ImportUploads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.uploads.arn}/uploads/*"]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.uploads.arn]
  }
}

# ---- notifier: consumes its queue and sends email from one address ----

data "aws_iam_policy_document" "notifier" {
  statement {
    sid       = "ConsumeQueue"
    actions   = local.queue_consumer_actions
    resources = [aws_sqs_queue.main["notifier"].arn]
  }

  statement {
    sid       = "ParkInDeadLetterQueue"
    actions   = local.dead_letter_actions
    resources = [aws_sqs_queue.dlq["notifier"].arn]
  }

  statement {
    sid       = "DeliveryState"
    actions   = local.state_table_actions
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    sid       = "SendEmail"
    actions   = ["ses:SendEmail"]
    resources = [aws_ses_email_identity.sender.arn]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.ses_sender]
    }
  }
}

locals {
  service_policies = {
    producer  = data.aws_iam_policy_document.producer.json
    processor = data.aws_iam_policy_document.processor.json
    notifier  = data.aws_iam_policy_document.notifier.json
  }
}

resource "aws_iam_role_policy" "service" {
  for_each = local.services

  name   = "conveyor-${each.key}"
  role   = aws_iam_role.service[each.key].id
  policy = local.service_policies[each.key]
}
