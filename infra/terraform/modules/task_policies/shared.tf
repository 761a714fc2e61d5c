# Statements more than one service needs, each written once and merged into the
# services' documents (source_policy_documents).

# A worker consumes its own queue and parks what it gives up on in its own DLQ.
data "aws_iam_policy_document" "worker_queues" {
  for_each = toset(["processor", "notifier"])

  statement {
    sid       = "ConsumeQueue"
    actions   = local.queue_consumer_actions
    resources = [var.queue_arns[each.key]]
  }

  statement {
    sid       = "ParkInDeadLetterQueue"
    actions   = local.dead_letter_actions
    resources = [var.dead_letter_queue_arns[each.key]]
  }
}

# The producer and the processor publish events and keep job state.
data "aws_iam_policy_document" "publish_and_job_state" {
  statement {
    sid = "PublishEvents"
    # PublishBatch, which conveyor_aws.publisher calls, is authorised as sns:Publish.
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }

  statement {
    sid       = "JobState"
    actions   = concat(local.state_table_actions, local.state_table_batch_actions)
    resources = [var.table_arn]
  }
}

# Objects are encrypted with the storage key: writing one needs a data key, reading one
# (or a part of a multipart upload) decrypts it. Only through S3.
data "aws_iam_policy_document" "storage_key" {
  statement {
    sid       = "StorageKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.storage_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}
