"""Output formats; each is a small reporter class registered through ``lora_lint_register_reporters``."""

from __future__ import annotations

BUILTIN_REPORTER_MODULES: tuple[str, ...] = (
    "lora_lint.reporters.text",
    "lora_lint.reporters.json",
    "lora_lint.reporters.sarif",
    "lora_lint.reporters.github",
    "lora_lint.reporters.junit",
    "lora_lint.reporters.gitlab",
    "lora_lint.reporters.json_lines",
)
