"""The notifier's import e-mails."""
