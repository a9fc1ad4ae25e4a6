"""Codes that were once used and must never be given to another rule."""

from __future__ import annotations

#: code -> why it was retired
RETIRED_CODES: dict[str, str] = {}
