"""Where a setup comes from: each loader implements ``lora_lint_load_setup`` (first result wins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lora_lint.errors import UsageError

if TYPE_CHECKING:
    import pluggy

    from lora_lint.context import Setup
    from lora_lint.settings import Settings

#: Tried in this order (first non-None result wins): the --model/--lora-config pair first (an adapter
#: folder given as --lora-config is a config there), then factories, then folders. Loaders from
#: third-party plugins are tried before all of these.
BUILTIN_SOURCE_MODULES: tuple[str, ...] = (
    "lora_lint.sources.model_config",
    "lora_lint.sources.factory",
    "lora_lint.sources.run_dir",
    "lora_lint.sources.adapter_dir",
    "lora_lint.sources.framework_config",
)


def load_setups(
    target: str, pm: pluggy.PluginManager, settings: Settings, options: dict[str, Any] | None = None
) -> list[Setup]:
    """Turn one TARGET into setups, or raise a usage error saying what a TARGET may be."""
    setups = pm.hook.lora_lint_load_setup(target=target, settings=settings, options=options or {})
    if setups is None:
        raise UsageError(
            f"{target}: not a factory (file.py:func or package.module:func), "
            "an adapter folder (adapter_config.json), a run folder (checkpoint-*/) "
            "or an axolotl / LLaMA-Factory YAML config"
        )
    setups = list(setups)
    lock = (options or {}).get("lock")
    if lock is not None and setups and all(s.lock_file is None for s in setups):
        # --lock compares what the target trains now (a factory's live model, a config) with the lock;
        # loaders that know better (a run's final adapter) set lock_file themselves
        from pathlib import Path

        setups[-1].lock_file = Path(lock)
    return setups
