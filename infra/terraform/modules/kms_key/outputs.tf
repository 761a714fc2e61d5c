output "arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "alias_name" {
  description = "The key's alias name (alias/...)."
  value       = aws_kms_alias.this.name
}
