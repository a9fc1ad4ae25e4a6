"""pytest11 entry point: wires lora-lint into pytest (options, marker, fixture, header, ini factories)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from lora_lint.settings import FAIL_ON_CHOICES
from pytest_lora.factories import LoraFactoriesFile, include_ini_file
from pytest_lora.fixture import LoraLint
from pytest_lora.header import header_line
from pytest_lora.lock_updates import WORKER_KEY, merge_worker_locks
from pytest_lora.state import CURRENT_ITEM, STATE_KEY, build_state, node_settings, run_state

#: the key a worker's list of tests that used lora-lint travels under to the controller
USED_KEY = "lora_lint_used_by"

MARKER_HELP = (
    "lora(select=None, ignore=None, fail_on=None, device=None): lora-lint settings for this test's "
    "lora_lint fixture (codes or prefixes such as 'LORA4'; fail_on error|warning|info|never; "
    "device auto|cpu|cuda|cuda:N, which the assert_* helpers follow too)."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lora", "lora-lint: LoRA setup checks")
    group.addoption(
        "--lora-device",
        dest="lora_device",
        default=None,
        metavar="DEVICE",
        help="where lora-lint places models it builds and probes: auto|cpu|cuda|cuda:N (default auto: "
        "cuda when available); a live model is probed where it sits.",
    )
    group.addoption(
        "--lora-fail-on",
        dest="lora_fail_on",
        default=None,
        choices=FAIL_ON_CHOICES,
        help="lowest severity that fails report.assert_clean() and lora_factories items (default error).",
    )
    group.addoption(
        "--lora-no-probe",
        dest="lora_no_probe",
        action="store_true",
        default=False,
        help="skip the forward/backward probe in the lora_lint fixture and lora_factories items.",
    )
    group.addoption(
        "--lora-update-locks",
        dest="lora_update_locks",
        action="store_true",
        default=False,
        help="assert_matches_lock records missing or drifted lock files instead of failing.",
    )
    parser.addini("lora_device", "default for --lora-device", default="")
    parser.addini("lora_fail_on", "default for --lora-fail-on", default="")
    parser.addini("lora_no_probe", "default for --lora-no-probe", type="bool", default=False)
    parser.addini(
        "lora_factories",
        "factories (pkg.module:func or path/file.py:func) to lint as one test item each",
        type="args",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[STATE_KEY] = build_state(config)
    include_ini_file(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    """The settings line up front only when ``lora_factories`` makes lint items; else after the tests that used it."""
    state = run_state(config)
    return header_line(state.settings) if state.factories else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if run_state(config).factories and config.inipath is not None and file_path == config.inipath:
        return LoraFactoriesFile.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = run_state(config)
    if state.used_by and not state.factories and config.get_verbosity() >= 0:
        terminalreporter.write_sep("-", "lora-lint")
        terminalreporter.write_line(header_line(state.settings))
    written = state.written_locks
    if written:
        terminalreporter.write_sep("-", f"lora-lint: {len(written)} lock(s) written (--lora-update-locks)")
        for path in written:
            shown = path.relative_to(config.rootpath) if path.is_relative_to(config.rootpath) else path
            terminalreporter.write_line(f"  {shown}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand what this worker wrote and used to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        state = run_state(session.config)
        workeroutput[WORKER_KEY] = [str(p) for p in state.written_locks]
        workeroutput[USED_KEY] = sorted(state.used_by)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: gather each worker's written locks and use for the summary."""
    output = getattr(node, "workeroutput", {})
    state = run_state(node.config)
    merge_worker_locks(state, output)
    state.used_by.update(output.get(USED_KEY, ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, None]:
    if "lora_lint" in getattr(item, "fixturenames", ()):
        run_state(item.config).used_by.add(item.nodeid)
    token = CURRENT_ITEM.set(item)
    try:
        yield
    finally:
        CURRENT_ITEM.reset(token)


@pytest.fixture(name="lora_lint")
def lora_lint_fixture(request: pytest.FixtureRequest) -> LoraLint:
    """Lint a model with this test's settings: ``lora_lint(model, batch).assert_clean()``."""
    return LoraLint(node_settings(request.node))
