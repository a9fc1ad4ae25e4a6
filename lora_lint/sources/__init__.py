"""Where a setup comes from: each loader implements ``lora_lint_load_setup`` (first result wins).

The ``--model``/``--lora-config`` pair is not a TARGET: :mod:`lora_lint.linting` loads it through
:func:`lora_lint.sources.model_config.load_pair` after the targets.
"""

from __future__ import annotations

#: Tried in this order (first non-None result wins): factories, then run folders, then adapter
#: folders. Loaders from third-party plugins are tried before all of these.
BUILTIN_SOURCE_MODULES: tuple[str, ...] = (
    "lora_lint.sources.factory",
    "lora_lint.sources.merged_dir",
    "lora_lint.sources.run_dir",
    "lora_lint.sources.adapter_dir",
    "lora_lint.sources.framework_config",
)
