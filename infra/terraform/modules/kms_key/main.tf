# A customer-managed key with yearly rotation. The account administers and uses it
# through IAM (what the key policy delegates to the account root); AWS services that
# encrypt on the account's behalf without a caller's IAM rights (CloudWatch alarms
# publishing to an encrypted topic, CloudWatch Logs) are named in service_principals.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource is this key alone; the account root delegates to IAM
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is this key alone; the account root delegates to IAM
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource is this key alone
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # One statement per service, with the condition its documentation gives (CloudWatch
  # alarms set none; CloudWatch Logs names the log group in the encryption context).
  dynamic "statement" {
    for_each = var.service_principals

    content {
      sid       = "Service${statement.key}EncryptsForThisAccount"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.value.identifier]
      }

      dynamic "condition" {
        for_each = statement.value.condition == null ? [] : [statement.value.condition]

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
