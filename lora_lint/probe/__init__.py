"""The probe: one forward/backward pass that shows which adapters receive gradient."""

from __future__ import annotations

#: Modules that implement hooks for the probe (e.g. the gradient-table attachment).
BUILTIN_PROBE_MODULES: tuple[str, ...] = ("lora_lint.probe.attachments", "lora_lint.facts.run_table")
