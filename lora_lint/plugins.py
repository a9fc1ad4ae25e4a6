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


CODE_RE = re.compile(r"^LORA[1-8]\d\d$")


def builtin_plugins() -> tuple[str, ...]:
    """Module paths of the built-in plugins; each package lists its own (none imports torch)."""
    from lora_lint.probe import BUILTIN_PROBE_MODULES
    from lora_lint.reporters import BUILTIN_REPORTER_MODULES
    from lora_lint.rules import BUILTIN_RULE_MODULES
    from lora_lint.sources import BUILTIN_SOURCE_MODULES

    # pluggy calls the last-registered implementation first: loaders go in reversed so that
    # BUILTIN_SOURCE_MODULES reads in the order they are tried (and plugins, registered later, go first)
    return (*reversed(BUILTIN_SOURCE_MODULES), *BUILTIN_REPORTER_MODULES, *BUILTIN_RULE_MODULES, *BUILTIN_PROBE_MODULES)


@dataclass
class Registry:
    """What the plugins registered: rules by code and reporters by format name."""

    rules: dict[str, type[Rule]] = field(default_factory=dict)
    reporters: dict[str, type] = field(default_factory=dict)
    rule_plugins: dict[str, str] = field(default_factory=dict)

    def sorted_rules(self) -> list[type[Rule]]:
        return [self.rules[c] for c in sorted(self.rules)]


def may_declare_entry_points(group: str = "lora_lint") -> bool:
    """Whether any installed distribution may declare ``group`` entry points.

    Reads ``entry_points.txt`` of each ``*.dist-info``/``*.egg-info`` folder on ``sys.path``, as
    ``importlib.metadata`` would find them, without importing it: that import and its full scan cost
    more than the rest of ``lora-lint rules``. Anything this cannot read (a zip on ``sys.path``, a
    custom distribution finder) answers "maybe", so the full scan runs.
    """
    import os
    import sys
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return True
    header = f"[{group}]"
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as found:
                names = [d.path for d in found if d.name.endswith((".dist-info", ".egg-info", ".egg"))]
        except NotADirectoryError:  # a zip archive or egg file on sys.path
            return True
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".egg"):
                return True
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as fh:
                    if header in fh.read():
                        return True
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                return True
    return False


def get_plugin_manager(
    extra_plugins: tuple[object, ...] = (), *, builtins: tuple[str, ...] | None = None
) -> pluggy.PluginManager:
    """A fresh manager: hookspecs, built-in plugins, ``lora_lint`` entry points, then ``extra_plugins``.

    ``builtins`` narrows the built-in modules registered (every installed plugin still loads):
    ``lora-lint rules`` needs only the rule modules and ``explain`` only one, and both must answer
    about as fast as a bare ``click`` import.
    """
    pm = pluggy.PluginManager("lora_lint")
    pm.add_hookspecs(hookspecs)
    for name in builtin_plugins() if builtins is None else builtins:
        pm.register(importlib.import_module(name), name=name)
    if may_declare_entry_points("lora_lint"):
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
            registry.rules[code] = rule
            registry.rule_plugins[code] = _plugin

        impl.function(register=register_rule)
    for impl in pm.hook.lora_lint_register_reporters.get_hookimpls():

        def register_reporter(name: str, cls: type, _plugin: str = impl.plugin_name) -> None:
            if name in registry.reporters:
                raise PluginError(_plugin, name, f"format {name!r} is already registered")
            registry.reporters[name] = cls

        impl.function(register=register_reporter)
    return registry
