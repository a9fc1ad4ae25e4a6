"""From targets to one report: the path every front end takes (CLI ``check`` and ``lock``, the pytest plugin).

The plugin manager and the registry are built once per :class:`Linter`; each TARGET goes to the loader
hook (third-party loaders first), its setups are linted one at a time and released, the checkpoints of
one run are folded, and the report leaves with its paths relative and its ``fail_on`` set.
"""

from __future__ import annotations

import dataclasses
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lora_lint.errors import UsageError
from lora_lint.report import Report
from lora_lint.settings import Settings
from lora_lint.sources.options import LoadOptions, load_options

if TYPE_CHECKING:
    import pluggy

    from lora_lint.context import Setup
    from lora_lint.plugins import Registry

#: ``hub://org/model``, ``s3://bucket/run``: a plugin's kind of target, never "a missing file"
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SELECTOR_RE = re.compile(r"^LORA\d{0,3}$")


class Linter:
    """The plugins (built-in, installed, ``plugins``) and what they registered, gathered once."""

    def __init__(self, plugins: tuple[object, ...] = ()) -> None:
        from lora_lint.plugins import collect_registry, get_plugin_manager

        self.pm: pluggy.PluginManager = get_plugin_manager(plugins)
        self.registry: Registry = collect_registry(self.pm)

    def load(self, target: str, settings: Settings, options: LoadOptions | None = None) -> list[Setup]:
        """The setups of one TARGET from the first loader that recognises it; a miss is a usage error."""
        options = load_options(options)
        setups = self.pm.hook.lora_lint_load_setup(target=target, settings=settings, options=options)
        if setups is None:
            raise UsageError(unrecognised(target))
        setups = list(setups)
        if options.lock is not None and setups and all(s.lock_file is None for s in setups):
            # --lock compares what the target trains now (a factory's live model, a config) with the lock;
            # loaders that know better (a run's final adapter) set lock_file themselves
            setups[-1].lock_file = options.lock
        return setups

    def lint(
        self,
        targets: Iterable[str],
        settings: Settings | None = None,
        options: LoadOptions | None = None,
        *,
        setups: Iterable[Setup] = (),
        root: Path | None = None,
    ) -> Report:
        """Lint ``setups`` given ready-made, then each TARGET, then the ``--model``/``--lora-config`` pair."""
        from lora_lint.engine import fold_repeats, lint_setup, selected_rules
        from lora_lint.report import merge_reports

        settings = settings or Settings()
        options = load_options(options)
        check_selectors(settings, self.registry)
        chosen = selected_rules(self.registry.rules.values(), settings)
        reports: list[Report] = []
        groups: list[str | None] = []
        from lora_lint.distributed import all_arrived, is_distributed, join_launch_group
        from lora_lint.rank_exchange import failures_shared
        from lora_lint.rank_report import job_report

        with failures_shared():  # in a job of several processes, a rank that fails here stops every rank
            for setup in self._setups(setups, targets, settings, options):
                join_launch_group()  # after the target's own code ran, which may have joined it already
                if is_distributed():
                    all_arrived()  # every rank loaded this setup before any of them runs the model's collectives
                setup = _unwrapped(setup)
                reports.append(lint_setup(setup, chosen, settings, self.pm))
                groups.append(setup.group)
            report = job_report(merge_reports(fold_repeats(reports, groups)))  # one report for all ranks
        if root is not None:
            report = relative_paths(report, root)
        return dataclasses.replace(report, fail_on=settings.fail_on)

    def _setups(
        self, given: Iterable[Setup], targets: Iterable[str], settings: Settings, options: LoadOptions
    ) -> Iterator[Setup]:
        """One setup at a time, each dropped once handed out, so a big model is freed before the next loads."""
        yield from given
        for target in targets:
            options.progress(f"loading {target}")
            yield from _drain(self.load(target, settings, options), options)
        if options.lora_config is not None:
            if options.model is None:
                raise UsageError("--lora-config needs --model DIR (the base model folder with config.json)")
            from lora_lint.sources.model_config import load_pair

            options.progress(f"loading {options.lora_config}")
            yield from _drain([load_pair(options, settings)], options)


def _drain(setups: list[Setup], options: LoadOptions) -> Iterator[Setup]:
    while setups:
        setup = setups.pop(0)
        if setup.launch is None:  # launch configuration files apply to every setup of the job
            setup.launch = options.launch
        options.progress(f"checking {setup.target}")
        yield setup


def lint_targets(
    targets: Iterable[str],
    settings: Settings | None = None,
    options: LoadOptions | None = None,
    *,
    plugins: tuple[object, ...] = (),
    root: Path | None = None,
) -> Report:
    """Load every TARGET through the loader hook, lint it, and return one report.

    ``targets`` are what ``lora-lint check`` takes (``train.py:build``, ``pkg.mod:build``, an adapter
    or run folder, or any kind a loader plugin claims); ``options`` carries ``--model``,
    ``--lora-config`` (linted as one more setup, after the targets), ``--lock`` and the rest.
    Paths of findings under ``root`` become relative to it. ``report.fail_on`` is ``settings.fail_on``.

    Example::

        report = lora_lint.lint_targets(["train.py:build"], Settings(select=("LORA1",)))
        report.assert_clean()
    """
    return Linter(plugins).lint(targets, settings, options, root=root)


def _unwrapped(setup: Setup) -> Setup:
    """The setup with its model out of DataParallel-style wrappers (a copy: the caller's Setup is left alone)."""
    if setup.model is None or not hasattr(setup.model, "module"):
        return setup
    from lora_lint.sources.wrappers import unwrap_model

    inner = unwrap_model(setup.model)
    return setup if inner is setup.model else dataclasses.replace(setup, model=inner)


def check_selectors(settings: Settings, registry: Registry) -> None:
    """Every select/ignore entry must be a code or prefix of at least one registered rule: a typo selects
    nothing, and a check of nothing would pass."""
    codes = sorted(registry.rules)
    for option, values in (("select", settings.select), ("ignore", settings.ignore), ("extend-select", settings.extend_select)):
        for value in values:
            if not _SELECTOR_RE.match(value):
                raise UsageError(f"{option}: {value!r} is not a rule code or prefix (e.g. LORA101, LORA1, LORA)")
            if not any(code.startswith(value) for code in codes):
                raise UsageError(f"{option}: {value!r} matches no rule; `lora-lint rules` lists them")


def unrecognised(target: str) -> str:
    """What to tell the user when no loader claims ``target``."""
    from lora_lint.sources.factory import parse_factory

    if parse_factory(target) is None and not _SCHEME_RE.match(target):
        why = _not_loadable(Path(target))
        if why is not None:
            return f"{target}: {why}"
    return (
        f"{target}: not a factory (file.py:func or package.module:func), "
        "an adapter folder (adapter_config.json), a run folder (checkpoint-*/) "
        "or an axolotl / LLaMA-Factory YAML config"
    )


def _not_loadable(path: Path) -> str | None:
    """Why no loader could read ``path`` as a file or folder: missing, a file in the way, a FIFO."""
    from lora_lint.sources.file_reading import file_in_the_way, not_regular

    try:
        mode = path.stat().st_mode
    except NotADirectoryError:
        return f"no such file or folder ({file_in_the_way(path)} is a file, not a folder)"
    except OSError:
        return "no such file or folder"
    return None if stat.S_ISDIR(mode) else not_regular(mode)


def relative_paths(report: Report, root: Path) -> Report:
    """Findings that name a file under ``root`` by absolute path name it relative to ``root``."""
    from lora_lint.reporters._base import display_path

    fixed = []
    shown: dict[str, str] = {}  # resolved once per file: 10,000 findings often name one file
    for f in report.findings:
        file = f.location.file
        if file and Path(file).is_absolute():
            if file not in shown:
                shown[file] = display_path(file, root)
            f = dataclasses.replace(f, location=dataclasses.replace(f.location, file=shown[file]))
        fixed.append(f)
    return dataclasses.replace(report, findings=tuple(fixed))
