# The address the notifier sends from. SES e-mails it a link; the identity is usable
# once that link is followed (and, out of the SES sandbox, for any recipient).
resource "aws_ses_email_identity" "sender" {
  email = var.sender
}
