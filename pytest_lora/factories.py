"""Zero-code mode: ``lora_factories`` in the ini file becomes one test item per factory, running the full lint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lora_lint.errors import LoraLintError
from lora_lint.report import Report
from lora_lint.settings import Settings
from pytest_lora.state import node_settings, run_state

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr


def resolve_spec(spec: str, rootpath: Path) -> str:
    """``other.py:make`` is read relative to the ini file's folder; ``pkg.module:build`` is left as is."""
    location, sep, func = spec.rpartition(":")
    if not (sep and location.endswith(".py")) or Path(location).is_absolute():
        return spec
    path = (rootpath / location).resolve()
    try:  # keep messages short: relative to where pytest runs when the file lies below it
        path = path.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    return f"{path.as_posix()}:{func}"


def lint_factory(spec: str, rootpath: Path, settings: Settings) -> Report:
    """Load the factory through lora-lint's own loaders and lint every setup it gives."""
    from lora_lint.linting import lint_targets

    return lint_targets([resolve_spec(spec, rootpath)], settings)


class LoraFactoriesFile(pytest.File):
    """The ini file that lists ``lora_factories``; it collects one item per factory."""

    def collect(self) -> Iterator[LoraFactoryItem]:
        for spec in dict.fromkeys(run_state(self.config).factories):
            yield LoraFactoryItem.from_parent(self, name=spec, spec=spec)


class LoraFactoryItem(pytest.Item):
    """Lints one factory with the run's settings and fails at ``--lora-fail-on``."""

    def __init__(self, *, spec: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        settings = node_settings(self)
        report = lint_factory(self.spec, run_state(self.config).rootpath, settings)
        report.assert_clean(settings.fail_on)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        """The findings (or the loader's one-line error) alone: lora-lint internals are not the user's code."""
        if isinstance(excinfo.value, (AssertionError, LoraLintError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"lora-lint {self.spec}"


def include_ini_file(config: pytest.Config) -> None:
    """When the run uses ``testpaths`` that do not hold the ini file, collect the ini file too.

    Adding it to the collection arguments (rather than splicing items in later) keeps node ids,
    ``-k``, ``--collect-only`` and the collected count exactly as for any other test file.
    """
    inipath = config.inipath
    if not run_state(config).factories or inipath is None:
        return
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    for arg in config.args:
        folder = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if folder == inipath or folder in inipath.parents:
            return
    config.args.append(str(inipath))
