"""Per-run plugin state in ``config.stash`` and the settings of one test (options, ini, pyproject, marker)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lora_lint.errors import UsageError
from lora_lint.probe.devices import parse_device
from lora_lint.settings import FAIL_ON_CHOICES, Settings, find_pyproject, settings_from_pyproject

#: The keyword arguments ``@pytest.mark.lora(...)`` takes; its help text in plugin.py lists the same.
MARKER_KEYS = ("select", "ignore", "fail_on", "device")


@dataclass(frozen=True)
class LoraRunState:
    """What the whole run was told: defaults < ``[tool.lora-lint]`` < ini keys < command line."""

    settings: Settings
    update_locks: bool = False
    #: ``lora_factories`` from the ini file, in order (zero-code mode)
    factories: tuple[str, ...] = ()
    #: the folder relative factory paths are read from (the ini file's folder)
    rootpath: Path = Path(".")
    #: lock files ``assert_matches_lock`` wrote under ``--lora-update-locks``, for the summary
    written_locks: list[Path] = field(default_factory=list)
    #: the tests that used lora-lint (fixture or helpers); the settings line is shown only when any did
    used_by: set[str] = field(default_factory=set)


STATE_KEY = pytest.StashKey[LoraRunState]()

#: The test being run, so the ``assert_*`` helpers (plain functions, no fixture) follow its settings.
#: Set and reset around each test by plugin.py; outside pytest it is None and defaults apply.
CURRENT_ITEM: ContextVar[pytest.Item | None] = ContextVar("pytest_lora_current_item", default=None)


def check_device(device: str, where: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (normalised), else a usage error naming where it was set."""
    try:
        return parse_device(device)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None


def build_state(config: pytest.Config) -> LoraRunState:
    """Merge pyproject, ini keys and options once per run; a bad value is a usage error naming it."""
    rootpath = config.inipath.parent if config.inipath is not None else config.rootpath
    pyproject = find_pyproject(rootpath)
    try:
        settings = settings_from_pyproject(pyproject) if pyproject is not None else Settings()
        fail_on = config.getoption("lora_fail_on") or config.getini("lora_fail_on") or None
        if fail_on is not None and fail_on not in FAIL_ON_CHOICES:
            raise UsageError(f"lora_fail_on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
        device = config.getoption("lora_device") or config.getini("lora_device") or None
        if device is not None:
            device = check_device(device, "--lora-device / lora_device")
        no_probe = bool(config.getoption("lora_no_probe")) or bool(config.getini("lora_no_probe"))
        settings = settings.merged(fail_on=fail_on, device=device, probe=False if no_probe else None)
    except UsageError as exc:
        raise pytest.UsageError(f"lora-lint: {exc}") from None
    return LoraRunState(
        settings=settings,
        update_locks=bool(config.getoption("lora_update_locks")),
        factories=tuple(config.getini("lora_factories")),
        rootpath=rootpath,
    )


def run_state(config: pytest.Config) -> LoraRunState:
    return config.stash[STATE_KEY]


def node_settings(node: pytest.Item) -> Settings:
    """The run's settings with the test's ``lora`` markers on top (the closest marker wins)."""
    __tracebackhide__ = True
    settings = run_state(node.config).settings
    for mark in reversed(list(node.iter_markers("lora"))):
        settings = _apply_marker(settings, mark.args, mark.kwargs)
    return settings


def current_item() -> pytest.Item | None:
    """The test now running under this plugin, or None (helpers called outside pytest)."""
    item = CURRENT_ITEM.get()
    if item is None or STATE_KEY not in item.config.stash:
        return None
    run_state(item.config).used_by.add(item.nodeid)
    return item


def current_settings() -> Settings:
    """The running test's settings, or the defaults outside a pytest run."""
    __tracebackhide__ = True
    item = current_item()
    return node_settings(item) if item is not None else Settings()


def _apply_marker(settings: Settings, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Settings:
    __tracebackhide__ = True
    usage = f"@pytest.mark.lora({', '.join(f'{k}=...' for k in MARKER_KEYS)})"
    if args:
        pytest.fail(f"{usage} takes keyword arguments only, got {args!r}", pytrace=False)
    unknown = sorted(set(kwargs) - set(MARKER_KEYS))
    if unknown:
        pytest.fail(f"{usage} got unknown argument(s) {', '.join(unknown)}", pytrace=False)
    try:
        values = dict(kwargs)
        if values.get("device") is not None:
            values["device"] = check_device(str(values["device"]), "@pytest.mark.lora")
        return settings.merged(**values)
    except UsageError as exc:
        pytest.fail(f"@pytest.mark.lora: {exc}", pytrace=False)
