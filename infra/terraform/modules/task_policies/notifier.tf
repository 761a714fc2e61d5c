# The notifier: consumes its queue and sends e-mail from one address.

data "aws_iam_policy_document" "notifier" {
  source_policy_documents = [data.aws_iam_policy_document.worker_queues["notifier"].json]

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
