"""``--model DIR --lora-config FILE``: a base model folder plus LoRA config kwargs (JSON, YAML or an adapter folder).

Without weights the base is built on the meta device and wrapped with ``get_peft_model`` there, so
targeting, trainable counts and per-layer rules run on the real architecture in seconds; with
weights it is loaded on ``--device`` (optionally in 8-bit or 4-bit) and probed too. Targeting never
depends on peft raising: a config peft rejects is linted against the bare base.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from lora_lint.context import PeftRefusal, Setup
from lora_lint.errors import SetupLoadError
from lora_lint.findings import Location, Note
from lora_lint.settings import Settings
from lora_lint.sources.base_model import (
    build_base_model,
    resolve_device,
    trainable_note,
)
from lora_lint.sources.factory import relative_to_cwd
from lora_lint.sources.options import LoadOptions, load_options
from lora_lint.text import one_line

#: keys peft writes into adapter_config.json that are bookkeeping, not LoraConfig arguments to check
_SAVED_ONLY = frozenset({"peft_type", "base_model_name_or_path", "revision", "auto_mapping", "peft_version"})


def read_lora_config(path: Path) -> tuple[dict[str, Any], Path, bool]:
    """(kwargs, the file read, whether peft saved it) from JSON, YAML or an adapter folder."""
    saved = False
    if path.is_dir():
        file = path / "adapter_config.json"
        if not file.is_file():
            raise SetupLoadError(str(path), "a --lora-config folder must hold adapter_config.json")
        path, saved = file, True
    elif not path.exists():
        raise SetupLoadError(str(path), "no such file")
    from lora_lint.sources.file_reading import read_config

    data = read_config(path)
    if not isinstance(data, dict):
        raise SetupLoadError(str(path), f"expected a mapping of LoraConfig arguments, got {type(data).__name__}")
    return data, path, saved or path.name == "adapter_config.json"


def check_kwargs(data: dict[str, Any], path: Path, saved: bool) -> tuple[dict[str, Any], list[str]]:
    """Keep LoraConfig's arguments; an unknown key a person wrote is an error naming it and the close ones."""
    from lora_lint.sources.lora_fields import check_lora_fields

    check_lora_fields(data, path)  # before peft is imported: a mistyped value is refused without torch
    from peft import LoraConfig

    fields = set(LoraConfig.__dataclass_fields__)
    peft_type = str(data.get("peft_type", "LORA")).split(".")[-1].upper()
    if peft_type != "LORA":
        raise SetupLoadError(str(path), f"peft_type is {peft_type}, not LORA: lora-lint checks LoRA adapters")
    kwargs: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in data.items():
        if key in _SAVED_ONLY or (saved and key == "inference_mode"):  # peft saves every adapter with True
            continue
        if key in fields:
            kwargs[key] = value
        elif saved:  # written by another peft version: skip it, say so
            dropped.append(key)
        else:
            close = difflib.get_close_matches(key, sorted(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SetupLoadError(str(path), f"unknown LoraConfig argument {key!r}{hint}")
    return kwargs, dropped


def load_model_config(
    target: str,
    model_dir: Path,
    config_path: Path,
    settings: Settings,
    options: LoadOptions | Mapping[str, Any] | None = None,
) -> Setup:
    """One setup: the base of ``model_dir`` with the LoRA config of ``config_path`` applied (when peft accepts it)."""
    options = load_options(options)
    data, file, saved = read_lora_config(config_path)
    kwargs, dropped = check_kwargs(data, file, saved)
    bits = options.bits
    device = resolve_device(settings.device)
    base = build_base_model(
        model_dir, device=device, bits=bits, task_type=kwargs.get("task_type"), progress=options.progress
    )
    origin = Location(file=relative_to_cwd(file))
    setup = Setup(target=target, lora_configs={"default": kwargs}, weights=base.weights, origin=origin)
    if dropped:
        setup.notes.append(Note(f"ignored keys this peft version does not know: {', '.join(dropped)}", target))
    if base.model is None:
        setup.cannot_verify = base.unverifiable
        setup.notes.append(Note(f"no base model to check against: {base.unverifiable}", target))
        return setup
    setup.base_model = base.model
    setup.notes.append(Note(base.how, target))
    if bits and not base.weights:
        setup.notes.append(Note(f"--load-in-{bits}bit ignored: {model_dir} has no weights to quantise", target))
    wrapped = wrap_lora(target, base.model, kwargs, file, meta=not base.weights)
    return attach_wrapped(setup, wrapped)


def attach_wrapped(setup: Setup, wrapped: Any) -> Setup:
    """The setup holding peft's wrapped model (and the trainable count), or the refusal peft gave instead."""
    if isinstance(wrapped, PeftRefusal):
        return refused(setup, wrapped)
    setup.model = wrapped
    note = trainable_note(wrapped, setup.target)
    if note is not None:
        setup.notes.append(note)
    return setup


def wrap_lora(target: str, model: Any, kwargs: dict[str, Any], file: Path, *, meta: bool = False) -> Any:
    """``get_peft_model`` with the user's config, or peft's refusal (``PeftRefusal``) when it would not build it.

    On a meta-device base the adapter weights are created on meta too (peft's ``low_cpu_mem_usage``):
    otherwise peft allocates and initialises every lora_A/lora_B on the CPU first, which for a 70B
    model with ``all-linear`` costs seconds and hundreds of MB for values no structure check reads.
    """
    from peft import get_peft_model

    from lora_lint.facts.model import config_from_kwargs
    from lora_lint.sources.peft_recovery import refusal_of

    try:
        config = config_from_kwargs(kwargs)
    except (TypeError, ValueError) as exc:  # LoraConfig's own validation
        raise SetupLoadError(str(file), f"LoraConfig rejects it: {one_line(exc)}") from None
    from lora_lint.sources.target_pruning import pruned_targets

    config = pruned_targets(config, model)  # a 10,000-entry list: peft's suffix search is quadratic in it
    try:
        return get_peft_model(model, config, low_cpu_mem_usage=True) if meta else get_peft_model(model, config)
    except (ValueError, TypeError) as exc:  # peft's checks while building the layers (TypeError: r/alpha None)
        return refusal_of(exc, kwargs)


def refused(setup: Setup, refusal: PeftRefusal) -> Setup:
    """The setup of a config peft refuses: the bare base, the refusal for LORA108, a note saying so."""
    setup.peft_refusal = refusal
    what = "no module is targeted" if refusal.nothing_targeted else "peft refuses this config"
    setup.notes.append(
        Note(f"peft would raise {refusal.error}: {what}; linted the bare base model", setup.target)
    )
    return setup


def pair_name(model: str | Path, config: str | Path) -> str:
    """How the --model/--lora-config pair is named in findings; distinct from any path given as a TARGET."""
    return f"{config} on {model}"


def load_pair(options: LoadOptions, settings: Settings) -> Setup:
    """The setup of ``--model DIR --lora-config FILE`` (a request of its own, not a TARGET)."""
    if options.model is None or options.lora_config is None:
        raise ValueError("load_pair needs options.model and options.lora_config")
    name = pair_name(options.model, options.lora_config)
    return load_model_config(name, options.model, options.lora_config, settings, options)

