# The events topic, one queue and DLQ per consuming service, and the filtered
# raw-delivery subscriptions between them.

locals {
  # Events each worker consumes; the SNS filter policy drops everything else
  # before it reaches the queue. Declared once, in the JSON file the Python
  # bootstrap reads too (conveyor_aws.routing); its "about" says why the
  # notifier hears OrderPersisted rather than OrderSubmitted.
  routing_file = "${path.module}/../../../../libs/aws_clients/src/conveyor_aws/routing.json"
  consumers    = jsondecode(file(local.routing_file)).consumers
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_sns_topic" "events" {
  name = "${var.name_prefix}-events"
  # The AWS-managed key: any principal of the account that may publish may use it,
  # so the task roles need no KMS grant, and SQS subscribers need none either.
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sqs_queue" "dlq" {
  for_each = local.consumers

  name                      = "${var.name_prefix}-${each.key}-dlq"
  message_retention_seconds = var.dead_letter_retention_seconds
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "main" {
  for_each = local.consumers

  name                       = "${var.name_prefix}-${each.key}"
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  # SQS-managed keys: SNS can deliver into the queue without a key policy of ours.
  sqs_managed_sse_enabled = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })

  # Set inline rather than with aws_sqs_queue_policy: one create call, and the
  # queue never exists without it. The ARN is built because the queue's own
  # attribute is not known yet.
  policy = data.aws_iam_policy_document.queue_from_topic[each.key].json
}

locals {
  queue_arns = {
    for k in keys(local.consumers) :
    k => "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.name_prefix}-${k}"
  }
}

# Lets only the events topic deliver into each main queue.
data "aws_iam_policy_document" "queue_from_topic" {
  for_each = local.consumers

  statement {
    sid       = "AllowEventsTopic"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arns[each.key]]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.events.arn]
    }
  }
}

resource "aws_sns_topic_subscription" "consumer" {
  for_each = local.consumers

  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.main[each.key].arn
  # Workers receive the published body as-is, without the SNS envelope.
  raw_message_delivery = true

  filter_policy_scope = "MessageAttributes"
  filter_policy       = jsonencode({ event_type = each.value })
}
