"""pytest plugin for lora-lint: the ``lora_lint`` fixture and ``assert_*`` helpers."""

from __future__ import annotations

__all__: list[str] = []
