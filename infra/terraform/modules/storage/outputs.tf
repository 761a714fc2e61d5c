output "exports_bucket" {
  description = "Name of the exports bucket."
  value       = aws_s3_bucket.this["exports"].bucket
}

output "exports_bucket_arn" {
  description = "ARN of the exports bucket."
  value       = aws_s3_bucket.this["exports"].arn
}

output "uploads_bucket" {
  description = "Name of the uploads bucket."
  value       = aws_s3_bucket.this["uploads"].bucket
}

output "uploads_bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = aws_s3_bucket.this["uploads"].arn
}

output "logs_bucket" {
  description = "Name of the access-logs bucket (the load balancer logs under alb/)."
  value       = aws_s3_bucket.this["logs"].bucket
}

output "kms_key_arn" {
  description = "ARN of the key both data buckets are encrypted with; whoever reads or writes their objects needs kms:Decrypt and kms:GenerateDataKey on it."
  value       = module.key.arn
}
