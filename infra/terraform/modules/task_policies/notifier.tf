# The notifier: consumes its queue and sends e-mail from one address.

data "aws_iam_policy_document" "notifier" {
  source_policy_documents = [data.aws_iam_policy_document.worker_queues["notifier"].json]

  statement {
    sid = "DeliveryState"
    # The sent-once ledger's claim (a conditional put), its release and its sent marks
    # (batched puts); it never reads or updates an item.
    actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
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
