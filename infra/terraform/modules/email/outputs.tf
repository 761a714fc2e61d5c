output "sender" {
  description = "The sender address."
  value       = aws_ses_email_identity.sender.email
}

output "identity_arn" {
  description = "ARN of the SES identity (what ses:SendEmail is granted on)."
  value       = aws_ses_email_identity.sender.arn
}
