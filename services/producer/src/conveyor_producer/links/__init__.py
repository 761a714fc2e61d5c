"""Lasting links: following an e-mail's link to an export or an error report."""
