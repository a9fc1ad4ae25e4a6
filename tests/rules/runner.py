"""Run a rule case the way a user would: through ``lint`` or through the TARGET loaders."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import tests.rules.cases as cases_pkg
from lora_lint import Report, lint
from lora_lint.context import Setup


def case_modules() -> list[ModuleType]:
    names = sorted(i.name for i in pkgutil.iter_modules(cases_pkg.__path__) if i.name.startswith("lora"))
    return [importlib.import_module(f"{cases_pkg.__name__}.{n}") for n in names]


def run_case(value: Any, probe: bool = True, **kwargs: Any) -> Report:
    if isinstance(value, (str, Path)):
        from lora_lint.engine import lint_setups
        from lora_lint.plugins import collect_registry, get_plugin_manager
        from lora_lint.settings import Settings
        from lora_lint.sources import load_setups

        options = kwargs.pop("options", None)
        settings = Settings(probe=probe).merged(**kwargs)
        pm = get_plugin_manager()
        setups = load_setups(str(value), pm, settings, options)
        return lint_setups(setups, collect_registry(pm).rules.values(), settings, pm)
    if isinstance(value, Mapping):
        args = dict(value)
        args.setdefault("probe", probe)
        args.update(kwargs)
        return lint(args.pop("model"), **args)
    assert value is None or isinstance(value, Setup) or hasattr(value, "named_modules"), value
    return lint(value, probe=probe, **kwargs)
