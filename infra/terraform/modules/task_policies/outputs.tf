output "policies" {
  description = "Each service's task-role policy document (JSON), by service: producer, processor, notifier."
  value = {
    producer  = data.aws_iam_policy_document.producer.json
    processor = data.aws_iam_policy_document.processor.json
    notifier  = data.aws_iam_policy_document.notifier.json
  }
}
