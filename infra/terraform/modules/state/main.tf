# The state table: job records and leases, idempotency records, the notifier's
# sent-once ledger and the order read model. On demand, expired items removed by TTL,
# point-in-time recovery, encrypted with a key of the account's own.

module "key" {
  source = "../kms_key"

  alias       = "${var.table_name}-table"
  description = "Conveyor's state table (${var.table_name})."
}

resource "aws_dynamodb_table" "state" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # DynamoDB uses the key through a grant of its own: callers need no KMS right.
  server_side_encryption {
    enabled     = true
    kms_key_arn = module.key.arn
  }
}
