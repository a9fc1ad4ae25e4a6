"""lora-lint: proves a LoRA fine-tuning setup is wired before training. Re-exports only; no torch here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.api import lint
    from lora_lint.errors import LintFailed
    from lora_lint.findings import Finding, Location, Severity
    from lora_lint.linting import lint_targets
    from lora_lint.plugins import hookimpl
    from lora_lint.report import Report
    from lora_lint.settings import Settings
    from lora_lint.sources.options import LoadOptions

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "LintFailed",
    "LoadOptions",
    "Location",
    "Report",
    "Settings",
    "Severity",
    "__version__",
    "hookimpl",
    "lint",
    "lint_targets",
]

#: each re-export is imported on first use: `lora-lint --help` needs the version, not the engine
_EXPORTS = {
    "lint": "lora_lint.api",
    "lint_targets": "lora_lint.linting",
    "LoadOptions": "lora_lint.sources.options",
    "LintFailed": "lora_lint.errors",
    "Finding": "lora_lint.findings",
    "Location": "lora_lint.findings",
    "Severity": "lora_lint.findings",
    "hookimpl": "lora_lint.plugins",
    "Report": "lora_lint.report",
    "Settings": "lora_lint.settings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
