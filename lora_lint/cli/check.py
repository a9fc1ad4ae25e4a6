"""``lora-lint check``: read the options, lint the targets (:mod:`lora_lint.linting`), render, exit 0/1/2."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import click

from lora_lint.cli.lock import existing_lock
from lora_lint.errors import UsageError
from lora_lint.linting import check_selectors
from lora_lint.settings import FAIL_ON_CHOICES, INTENT_CHOICES, Settings


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


@click.command()
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option("--model", "model_dir", help="Base model: a folder (config.json; weights optional) or a hub id org/name (its config.json from the HF cache or the hub).")
@click.option("--lora-config", type=click.Path(exists=True), help="LoraConfig kwargs as JSON or YAML, or an adapter folder; needs --model.")
@click.option("--adapter", type=click.Path(exists=True, file_okay=False), help="With MERGED_DIR --model BASE: the adapter that was merged.")
@click.option("--lock", callback=existing_lock, help="Compare with this lock file [default: lora.lock.json in ADAPTER_DIR / RUN_DIR].")
@click.option("-f", "--format", "fmt", default="text", show_default=True, help="text, json, json-lines, sarif, github, gitlab or junit (or a plugin's format).")
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
@click.option("--accelerate-config", type=click.Path(exists=True, dir_okay=False), help="accelerate config YAML of the job (pre-flight LORA8xx).")
@click.option("--deepspeed", type=click.Path(exists=True, dir_okay=False), help="DeepSpeed JSON of the job (pre-flight LORA8xx).")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True, help="Colour text output.")
@click.option("--statistics", is_flag=True, help="Print how many findings each code has instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 whatever is found (same as --fail-on never).")
@click.option("--add-ignore", is_flag=True, help="Write '# lora-lint: ignore[CODES]' on the lines the findings point at, then exit 0.")
@click.pass_context
def check(
    ctx: click.Context,
    targets: tuple[str, ...],
    model_dir: str | None,
    lora_config: str | None,
    lock: str | None,
    fmt: str,
    adapter: str | None,
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
    accelerate_config: str | None,
    deepspeed: str | None,
    color: str,
    statistics: bool,
    exit_zero: bool,
    add_ignore: bool,
) -> None:
    """Lint LoRA setups before training.

    \b
    TARGET is one of
      path/to/train.py:build   a factory: returns a model, (model, batch), or
      package.module:build     a mapping with 'model' and optional 'batch', 'optimizer'
      ADAPTER_DIR              adapter_config.json + adapter_model.safetensors
                               (checked against its base_model_name_or_path)
      RUN_DIR                  a training run whose checkpoint-*/ hold adapters
      MERGED_DIR               a merged checkpoint: with --model BASE [--adapter DIR]
      axolotl.yml              an axolotl or LLaMA-Factory config (.yml/.yaml)
    or --model DIR --lora-config FILE for a base model and a LoRA config.

    Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad usage or input.
    Settings may also sit under [tool.lora-lint] in the nearest pyproject.toml; options here win.
    """
    from lora_lint import __version__
    from lora_lint.facts.launch import read_launch
    from lora_lint.linting import Linter
    from lora_lint.reporters._base import ReportMeta, render
    from lora_lint.sources.options import LoadOptions

    cwd = Path.cwd()
    settings = effective_settings(
        cwd,
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        fail_on="never" if exit_zero else fail_on,
        probe=probe,
        device=device,
        intent=intent,
    )
    linter = Linter()
    registry = linter.registry
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
    options = LoadOptions(
        model=Path(model_folder) if model_folder else None,
        lora_config=Path(lora_config) if lora_config else None,
        lock=Path(lock) if lock else None,
        adapter=Path(adapter) if adapter else None,
        load_in_8bit=load_in_8bit,
        load_in_4bit=load_in_4bit,
        progress=progress,
        # the job's launch facts (None outside a launch config or a multi-process environment)
        launch=read_launch(
            Path(accelerate_config) if accelerate_config else None, Path(deepspeed) if deepspeed else None
        ),
    )
    from lora_lint.cli.output import ReportOutput

    out = ReportOutput(output)  # opened before user code runs: nothing it does reaches the report
    with warnings.catch_warnings(), out.user_code():
        # library deprecation notices are for library authors; the user's own warnings still show
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        # bitsandbytes logs at import when optional CPU kernels are missing: noise for a lint run
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
        try:
            report = linter.lint(targets, settings, options, root=cwd)
        except BaseException:
            out.close()  # fd 1 back to stdout before the error is shown
            raise
        finally:
            progress.done()
    if add_ignore:
        from lora_lint.cli.add_ignore import write_ignores

        ctx.exit(write_ignores(report.findings, cwd))
    from lora_lint.engine import selected_rules

    checked = tuple(r.code for r in selected_rules(registry.rules.values(), settings))
    meta = ReportMeta(version=__version__, targets=report.targets, rules=registry.rules, root=cwd, checked=checked)
    from lora_lint.distributed import agreed_exit_code, rank

    if rank() != 0:  # every rank holds the job's report; rank 0 prints it, all exit alike
        ctx.exit(agreed_exit_code(report.exit_code()))
    with out.writing() as stream:
        use_color = {"always": True, "never": False}.get(color) if output is None else False
        if statistics:
            from lora_lint.cli.statistics import statistics_table

            stream.write(statistics_table(report) + "\n" if report.findings else "")
        else:
            render(registry.reporters[fmt](stream, color=use_color), report, meta)
        stream.flush()  # before the ranks part: a launcher may stop rank 0 once another rank exits non-zero
    ctx.exit(agreed_exit_code(report.exit_code()))
