"""Where the API lives: every feature's routes sit under one prefix."""

from __future__ import annotations

API_PREFIX = "/api/v1"
