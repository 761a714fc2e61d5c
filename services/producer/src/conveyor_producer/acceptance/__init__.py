"""Accepting a request once: Idempotency-Key rules and records, record-then-publish.

Shared by every feature whose POST is answered 202 and published as an event.
"""
