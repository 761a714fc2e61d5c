"""The notifier's order e-mails."""
