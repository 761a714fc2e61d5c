# What each service's task role may do: the calls its code makes and nothing else.
# Object-level grants are scoped to their bucket prefix, queues to the worker's own
# queue and DLQ, SES to the sender address. infra/README.md lists the AWS calls each
# service makes and the grant (by statement id) that covers each one.

data "aws_region" "current" {}

locals {
  # What conveyor_aws.state_store.StateStore calls; nothing queries or scans the table.
  state_table_actions = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
  ]

  # Plain puts (StateStore.put) go out in batches.
  state_table_batch_actions = ["dynamodb:BatchWriteItem"]

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
