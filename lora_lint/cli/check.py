"""``lora-lint check``: load each TARGET, lint it, report in the chosen format, exit 0/1/2."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from lora_lint.errors import UsageError
from lora_lint.settings import FAIL_ON_CHOICES, INTENT_CHOICES, Settings

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.plugins import Registry
    from lora_lint.report import Report

_SELECTOR_RE = re.compile(r"^LORA\d{0,3}$")


class Progress:
    """One self-erasing status line on stderr, shown only when stderr is a terminal."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K{message}…")
            self.stream.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def _codes(values: Sequence[str]) -> str | None:
    return ",".join(values) if values else None


def effective_settings(cwd: Path, **cli: Any) -> Settings:
    """Defaults < ``[tool.lora-lint]`` of the nearest pyproject.toml < the options given on the command line."""
    from lora_lint.settings import find_pyproject, settings_from_pyproject

    base = Settings()
    pyproject = find_pyproject(cwd)
    if pyproject is not None:
        base = settings_from_pyproject(pyproject, base)
    settings = base.merged(**cli)
    from lora_lint.probe.devices import parse_device

    return dataclasses.replace(settings, device=parse_device(settings.device))


def check_selectors(settings: Settings, registry: Registry) -> None:
    """Every select/ignore entry must be a code or prefix of at least one registered rule."""
    codes = sorted(registry.rules)
    for option, values in (("select", settings.select), ("ignore", settings.ignore), ("extend-select", settings.extend_select)):
        for value in values:
            if not _SELECTOR_RE.match(value):
                raise UsageError(f"{option}: {value!r} is not a rule code or prefix (e.g. LORA101, LORA1, LORA)")
            if not any(code.startswith(value) for code in codes):
                raise UsageError(f"{option}: {value!r} matches no rule; `lora-lint rules` lists them")


def relative_paths(report: Report, root: Path) -> Report:
    """Findings that name a file under ``root`` by absolute path name it relative to ``root``."""
    from lora_lint.reporters._base import display_path

    fixed = []
    for f in report.findings:
        file = f.location.file
        if file and Path(file).is_absolute():
            f = dataclasses.replace(f, location=dataclasses.replace(f.location, file=display_path(file, root)))
        fixed.append(f)
    return dataclasses.replace(report, findings=tuple(fixed))


def run_check(
    work: Iterable[str], settings: Settings, options: dict[str, Any], registry: Registry, pm: Any, progress: Progress
) -> Report:
    """Load and lint one TARGET at a time, so a big model is released before the next loads."""
    from lora_lint.engine import lint_setups, selected_rules
    from lora_lint.report import merge_reports
    from lora_lint.sources import load_setups
    from lora_lint.sources.factory import parse_factory
    chosen = selected_rules(registry.rules.values(), settings)
    pair = options.get("lora_config_target")
    reports: list[Report] = []
    for target in work:
        if parse_factory(target) is None and not Path(target).exists() and target != pair:
            raise UsageError(f"{target}: no such file or folder")
        progress(f"loading {target}")
        setups = load_setups(target, pm, settings, options)
        reports.append(lint_setups(_drain(setups, progress), chosen, settings, pm))
    progress.done()
    return merge_reports(reports)


def _drain(setups: list[Setup], progress: Progress) -> Iterator[Setup]:
    """Hand out setups one at a time, dropping each from the list, so a big model is freed once linted."""
    while setups:
        setup = setups.pop(0)
        progress(f"checking {setup.target}")
        yield setup


@click.command()
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option("--model", "model_dir", help="Base model: a folder (config.json; weights optional) or a hub id org/name (its config.json from the HF cache or the hub).")
@click.option("--lora-config", type=click.Path(exists=True), help="LoraConfig kwargs as JSON or YAML, or an adapter folder; needs --model.")
@click.option("--lock", type=click.Path(exists=True, dir_okay=False), help="Compare saved adapters against this lock file.")
@click.option("-f", "--format", "fmt", default="text", show_default=True, help="text, json, sarif or github (or a plugin's format).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of stdout.")
@click.option("--select", multiple=True, help="Only these codes or prefixes, comma-separated (LORA1,LORA301).")
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes.")
@click.option("--extend-select", multiple=True, help="Add codes or prefixes to the selection.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), help="Lowest severity that exits 1 [default: error].")
@click.option("--probe/--no-probe", default=None, help="Run the forward/backward probe [default: probe].")
@click.option("--device", help="auto, cpu, cuda or cuda:N for models lora-lint loads and probes [default: auto].")
@click.option("--intent", type=click.Choice(INTENT_CHOICES), help="training (default) or inference: skips training-only rules.")
@click.option("--load-in-8bit", is_flag=True, help="Load --model weights in 8-bit through bitsandbytes.")
@click.option("--load-in-4bit", is_flag=True, help="Load --model weights in 4-bit NF4 (the QLoRA recipe).")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True, help="Colour text output.")
@click.pass_context
def check(
    ctx: click.Context,
    targets: tuple[str, ...],
    model_dir: str | None,
    lora_config: str | None,
    lock: str | None,
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fail_on: str | None,
    probe: bool | None,
    device: str | None,
    intent: str | None,
    load_in_8bit: bool,
    load_in_4bit: bool,
    color: str,
) -> None:
    """Lint LoRA setups before training.

    \b
    TARGET is one of
      path/to/train.py:build   a factory: returns a model, (model, batch), or
      package.module:build     a mapping with 'model' and optional 'batch', 'optimizer'
      ADAPTER_DIR              adapter_config.json + adapter_model.safetensors
      RUN_DIR                  a training run whose checkpoint-*/ hold adapters
    or --model DIR --lora-config FILE for a base model and a LoRA config.

    Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad usage or input.
    Settings may also sit under [tool.lora-lint] in the nearest pyproject.toml; options here win.
    """
    from lora_lint import __version__
    from lora_lint.plugins import collect_registry, get_plugin_manager
    from lora_lint.reporters._base import ReportMeta, render

    cwd = Path.cwd()
    settings = effective_settings(
        cwd,
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        fail_on=fail_on,
        probe=probe,
        device=device,
        intent=intent,
    )
    pm = get_plugin_manager()
    registry = collect_registry(pm)
    if fmt not in registry.reporters:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(sorted(registry.reporters))}")
    check_selectors(settings, registry)
    if load_in_8bit and load_in_4bit:
        raise UsageError("--load-in-8bit and --load-in-4bit exclude each other")
    if lora_config is not None and model_dir is None:
        raise UsageError("--lora-config needs --model DIR (the base model folder with config.json)")
    if not targets and lora_config is None:
        raise UsageError(
            "nothing to check: give a TARGET (file.py:func, package.module:func, an adapter or run folder) "
            "or --model DIR --lora-config FILE"
        )
    progress = Progress()
    if not progress.enabled:  # progress bars of huggingface libraries, read when they are imported
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # transformers' advisory logging (use_cache under checkpointing, ...) would bury the findings
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if model_dir is not None:  # a hub id resolves to its cached config.json's folder (never weights)
        from lora_lint.sources.hub import model_option_folder

        model_folder: str | None = model_option_folder(model_dir)
    else:
        model_folder = None
    options: dict[str, Any] = {
        "model": model_folder,
        "lora_config": lora_config,
        "lock": lock,
        "load_in_8bit": load_in_8bit,
        "load_in_4bit": load_in_4bit,
        "progress": progress,
    }
    work = list(targets)
    if lora_config is not None and model_dir is not None:
        from lora_lint.sources.model_config import pair_target

        options["lora_config_target"] = pair_target(model_dir, lora_config)
        work.append(options["lora_config_target"])
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        # library deprecation notices are for library authors; the user's own warnings still show
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        # bitsandbytes logs at import when optional CPU kernels are missing: noise for a lint run
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
        try:
            report = run_check(work, settings, options, registry, pm, progress)
        finally:
            progress.done()
    report = dataclasses.replace(relative_paths(report, cwd), fail_on=settings.fail_on)
    meta = ReportMeta(version=__version__, targets=report.targets, rules=registry.rules, root=cwd)
    with contextlib.ExitStack() as stack:
        stream: IO[str] = sys.stdout if output is None else stack.enter_context(open(output, "w", encoding="utf-8"))
        use_color = {"always": True, "never": False}.get(color) if output is None else False
        render(registry.reporters[fmt](stream, color=use_color), report, meta)
    ctx.exit(report.exit_code(settings.fail_on))
