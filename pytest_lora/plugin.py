"""pytest11 entry point: wires lora-lint into pytest (options, marker, fixture)."""

from __future__ import annotations
