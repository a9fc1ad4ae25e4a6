"""The plugin manager factory: built-in rules, formats and loaders are plugins like third-party ones."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from lora_lint import hookspecs
from lora_lint.errors import PluginError

if TYPE_CHECKING:
    from lora_lint.rules._base import Rule

F = TypeVar("F", bound=Callable[..., Any])

_hookimpl = pluggy.HookimplMarker("lora_lint")


def hookimpl(function: F) -> F:
    """Mark a function as an implementation of a ``lora_lint_*`` hook."""
    return _hookimpl(function)


CODE_RE = re.compile(r"^LORA[1-6]\d\d$")


def builtin_plugins() -> tuple[str, ...]:
    """Module paths of the built-in plugins; each package lists its own (none imports torch)."""
    from lora_lint.probe import BUILTIN_PROBE_MODULES
    from lora_lint.reporters import BUILTIN_REPORTER_MODULES
    from lora_lint.rules import BUILTIN_RULE_MODULES
    from lora_lint.sources import BUILTIN_SOURCE_MODULES

    return (*BUILTIN_SOURCE_MODULES, *BUILTIN_REPORTER_MODULES, *BUILTIN_RULE_MODULES, *BUILTIN_PROBE_MODULES)


@dataclass
class Registry:
    """What the plugins registered: rules by code and reporters by format name."""

    rules: dict[str, type[Rule]] = field(default_factory=dict)
    reporters: dict[str, type] = field(default_factory=dict)
    rule_plugins: dict[str, str] = field(default_factory=dict)

    def sorted_rules(self) -> list[type[Rule]]:
        return [self.rules[c] for c in sorted(self.rules)]


def get_plugin_manager(extra_plugins: tuple[object, ...] = ()) -> pluggy.PluginManager:
    """A fresh manager: hookspecs, built-in plugins, ``lora_lint`` entry points, then ``extra_plugins``."""
    pm = pluggy.PluginManager("lora_lint")
    pm.add_hookspecs(hookspecs)
    for name in builtin_plugins():
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints("lora_lint")
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


def collect_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every registration hook with a validating ``register`` that names the calling plugin."""
    from lora_lint.rules._base import validate_rule_class

    registry = Registry()
    for impl in pm.hook.lora_lint_register_rules.get_hookimpls():
        plugin_name = impl.plugin_name

        def register_rule(rule: type, _plugin: str = plugin_name) -> None:
            reason = validate_rule_class(rule)
            code = getattr(rule, "code", "?")
            if reason is None and code in registry.rules:
                reason = f"code {code} is already registered by {registry.rule_plugins[code]!r}"
            if reason is not None:
                raise PluginError(_plugin, getattr(rule, "__name__", repr(rule)), reason)
            registry.rules[code] = rule  # type: ignore[assignment]
            registry.rule_plugins[code] = _plugin

        impl.function(register=register_rule)
    for impl in pm.hook.lora_lint_register_reporters.get_hookimpls():

        def register_reporter(name: str, cls: type, _plugin: str = impl.plugin_name) -> None:
            if name in registry.reporters:
                raise PluginError(_plugin, name, f"format {name!r} is already registered")
            registry.reporters[name] = cls

        impl.function(register=register_reporter)
    return registry
