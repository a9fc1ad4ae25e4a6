"""Every ``lora_lint_*`` hook, grouped by phase; built-in rules, formats and loaders use them too.

Hooks are always called with keyword arguments, so a spec may grow new arguments and older plugins
that do not ask for them keep working (pluggy's opt-in arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from lora_lint.context import RuleContext, Setup
    from lora_lint.findings import Attachment, Finding
    from lora_lint.settings import Settings
    from lora_lint.sources.options import LoadOptions

hookspec = pluggy.HookspecMarker("lora_lint")

RegisterRule = Callable[[type], None]
RegisterReporter = Callable[[str, type], None]


# -- registration: called once when the plugin manager is built ------------------------------------


@hookspec
def lora_lint_register_rules(register: RegisterRule) -> None:
    """Register the rules this plugin provides.

    :param register: call ``register(RuleClass)`` once per rule; it validates the code
        (``LORA[1-6]dd``, unique, not retired) and the doc sections, and raises ``PluginError``
        naming this plugin otherwise.

    Example::

        @hookimpl
        def lora_lint_register_rules(register):
            register(MyRule)
    """


@hookspec
def lora_lint_register_reporters(register: RegisterReporter) -> None:
    """Register output formats.

    :param register: call ``register("name", ReporterClass)``; the name is what ``--format`` takes.
    """


# -- loading: turn a CLI TARGET into setups -------------------------------------------------------


@hookspec(firstresult=True)
def lora_lint_load_setup(target: str, settings: Settings, options: LoadOptions) -> list[Setup] | None:
    """Return the setups for ``target``, or ``None`` when this loader does not recognise it.

    Stops at the first non-None result; loaders of installed plugins are asked before the built-in
    ones, so a plugin may claim any kind of TARGET (``hub://org/model``, a framework's config file).
    When every loader returns ``None`` the run stops with one usage error naming the target.

    :param target: what the user typed (``train.py:build``, an adapter folder, a run folder, ...).
    :param settings: the effective settings (device, intent, ...).
    :param options: the typed :class:`~lora_lint.sources.options.LoadOptions`: ``model`` (--model
        DIR), ``lora_config`` (--lora-config FILE), ``lock`` (--lock FILE), ``load_in_8bit`` /
        ``load_in_4bit`` and ``progress`` (a callable taking a short status text, shown on a
        terminal). Fields read by name (``options.get("model")``, ``options["lock"]``) still work for
        loaders written against the earlier options dict. New loader inputs arrive as new fields
        with defaults or as new hook arguments, never by changing these.
    :return: one setup per thing to lint (a run folder gives one per checkpoint).
    """


# -- reporting: extra detail beside the findings --------------------------------------------------


@hookspec
def lora_lint_attachments(ctx: RuleContext, findings: Sequence[Finding]) -> Sequence[Attachment] | None:
    """Return blocks of detail for one setup (e.g. the probe's per-layer gradient table).

    :param ctx: the setup's rule context, with its cached facts.
    :param findings: what the rules found for this setup.
    :return: attachments to show, or ``None``.
    """
