locals {
  # Events each worker consumes; the SNS filter policy drops everything else
  # before it reaches the queue. Declared once, in the JSON file the Python
  # bootstrap reads too (conveyor_aws.routing); its "about" says why the
  # notifier hears OrderPersisted rather than OrderSubmitted.
  routing_file = "${path.module}/../../libs/aws_clients/src/conveyor_aws/routing.json"
  consumers    = jsondecode(file(local.routing_file)).consumers
}

resource "aws_sns_topic" "events" {
  name = "conveyor-events"
}

resource "aws_sqs_queue" "dlq" {
  for_each = local.consumers

  name                      = "conveyor-${each.key}-dlq"
  message_retention_seconds = 1209600 # 14 days, longer than the main queue so failures can be inspected
}

resource "aws_sqs_queue" "main" {
  for_each = local.consumers

  name                       = "conveyor-${each.key}"
  visibility_timeout_seconds = 300
  message_retention_seconds  = 345600 # 4 days

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = 3
  })

  # Set inline rather than with aws_sqs_queue_policy: one create call, and the
  # queue never exists without it. The ARN is built because the queue's own
  # attribute is not known yet.
  policy = data.aws_iam_policy_document.queue_from_topic[each.key].json
}

locals {
  queue_arns = {
    for k in keys(local.consumers) :
    k => "arn:${data.aws_partition.current.partition}:sqs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:conveyor-${k}"
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
