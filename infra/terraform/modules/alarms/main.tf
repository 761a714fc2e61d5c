# Alarms on what needs a person: a parked message, a queue falling behind, the API
# failing or losing healthy tasks. Each goes to one encrypted SNS topic (alarm and OK).

module "key" {
  source = "../kms_key"

  alias       = "${var.name_prefix}-alarms"
  description = "Conveyor's alarm topic."
  # CloudWatch publishes to the topic with the key on the account's behalf.
  service_principals = [{ identifier = "cloudwatch.amazonaws.com" }]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = module.key.arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.email_subscribers)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = var.dead_letter_queue_names

  alarm_name          = "${var.name_prefix}-${each.key}-dead-letters"
  alarm_description   = "Messages parked in ${each.value}: see `conveyor dlq show ${each.key}`."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "oldest_message" {
  for_each = var.queue_names

  alarm_name          = "${var.name_prefix}-${each.key}-falling-behind"
  alarm_description   = "The oldest message in ${each.value} has waited over ${var.oldest_message_age_seconds} s: the workers are stuck or too few."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.oldest_message_age_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
