"""lora-lint: proves a LoRA fine-tuning setup is wired before training. Re-exports only; no torch here."""

from __future__ import annotations

from lora_lint.api import lint
from lora_lint.findings import Finding, Location, Severity
from lora_lint.plugins import hookimpl
from lora_lint.report import Report

__version__ = "0.1.0"

__all__ = ["Finding", "Location", "Report", "Severity", "__version__", "hookimpl", "lint"]
