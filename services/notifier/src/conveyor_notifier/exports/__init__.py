"""The notifier's export e-mails."""
