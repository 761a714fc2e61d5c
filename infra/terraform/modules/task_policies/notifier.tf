# The notifier: consumes its queue and sends e-mail from one address.

data "aws_iam_policy_document" "notifier" {
  statement {
    sid       = "ConsumeQueue"
    actions   = local.queue_consumer_actions
    resources = [var.queue_arns["notifier"]]
  }

  statement {
    sid       = "ParkInDeadLetterQueue"
    actions   = local.dead_letter_actions
    resources = [var.dead_letter_queue_arns["notifier"]]
  }

  statement {
    sid       = "DeliveryState"
    actions   = local.state_table_actions
    resources = [var.table_arn]
  }

  statement {
    sid       = "SendEmail"
    actions   = ["ses:SendEmail"]
    resources = [var.ses_identity_arn]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.ses_sender]
    }
  }
}
