"""Loader for a training-framework config as TARGET: ``lora-lint check axolotl.yml`` (or a LLaMA-Factory YAML).

The YAML is mapped (``lora_lint.frameworks``) to the LoraConfig the framework would build; its base is
resolved by name (folder, HF cache, hub: ``sources.hub``) and built on the meta device, or loaded with
its weights when it is a local folder with weights and the probe is wanted. Findings point at the
YAML key's line and speak the framework's keys. A base that cannot be resolved is a note.
"""

from __future__ import annotations

from pathlib import Path

from lora_lint.context import Setup
from lora_lint.findings import Location, Note
from lora_lint.frameworks.read import is_yaml_target, read_framework_config
from lora_lint.frameworks.spec import FrameworkLora
from lora_lint.frameworks.spelling import ConfigSpelling
from lora_lint.plugins import hookimpl
from lora_lint.settings import Settings
from lora_lint.sources.options import LoadOptions


def spelling_of(spec: FrameworkLora) -> ConfigSpelling:
    comma = frozenset({"lora_target", "additional_target"}) if spec.framework == "LLaMA-Factory" else frozenset()
    return ConfigSpelling(spec.framework, keys=dict(spec.keys), lines=dict(spec.lines), comma_lists=comma)


def framework_setup(target: str, path: Path, spec: FrameworkLora, settings: Settings) -> Setup:
    """One setup: the framework's LoRA config on its resolved base (or alone, with a note, when unresolved)."""
    from lora_lint.sources.factory import relative_to_cwd

    line = spec.line_of("target_modules") or spec.lines.get(spec.base_key)
    origin = Location(file=relative_to_cwd(path), line=line)
    notes = [Note(f"{spec.framework} config: {n}", target) for n in spec.notes]
    if spec.not_lora is not None:
        return Setup(target=target, origin=origin, notes=[*notes, Note(spec.not_lora, target)], weights=False)
    kwargs = dict(spec.kwargs)
    from lora_lint.sources.lora_fields import check_lora_fields

    check_lora_fields(kwargs, path)
    setup = Setup(target=target, lora_configs={"default": kwargs}, weights=False, origin=origin, notes=notes)
    setup.spelling = spelling_of(spec)
    if spec.base_model is None:
        return _without_base(setup, spec, f"the config names no base model ({spec.base_key})")
    from lora_lint.sources.hub import resolve_model

    resolved = resolve_model(spec.base_model, spec.revision)
    if resolved.folder is None:
        return _without_base(setup, spec, resolved.reason or spec.base_model)
    return _on_base(setup, spec, resolved.folder, resolved.source == "folder", settings)


def _without_base(setup: Setup, spec: FrameworkLora, why: str) -> Setup:
    kwargs = setup.lora_configs["default"]
    if spec.all_linear is not None:  # which names the framework adds depends on the base; peft's spelling of it
        explicit = kwargs.get("target_modules")
        kwargs["target_modules"] = "all-linear" if not explicit else explicit
    setup.notes.append(Note(f"base model not resolved, targets not checked: {why}", setup.target))
    return setup


def _on_base(setup: Setup, spec: FrameworkLora, folder: Path, local: bool, settings: Settings) -> Setup:
    from lora_lint.sources.base_model import build_base_model, resolve_device
    from lora_lint.context import PeftRefusal
    from lora_lint.sources.model_config import attach_wrapped, wrap_lora

    target, kwargs = setup.target, setup.lora_configs["default"]
    device = resolve_device(settings.device)
    weights = None if (local and settings.probe) else False
    base = build_base_model(folder, device=device, weights=weights, bits=spec.bits, task_type="CAUSAL_LM")
    if base.model is None:
        setup.cannot_verify = base.unverifiable
        setup.notes.append(Note(f"no base model to check against: {base.unverifiable}", target))
        return setup
    if spec.all_linear is not None:
        from lora_lint.frameworks.linear import linear_names

        explicit = kwargs.get("target_modules") or []
        kwargs["target_modules"] = sorted(set(explicit) | set(linear_names(base.model, spec.all_linear)))
    setup.base_model, setup.weights = base.model, base.weights
    how = base.how if local else f"built {type(base.model).__name__} on the meta device from its cached config.json"
    setup.notes.append(Note(f"base {spec.base_model} ({spec.base_key}): {how}", target))
    if spec.bits and not base.weights:
        setup.notes.append(Note(f"{spec.framework} loads the base in {spec.bits}-bit; checked unquantised on meta", target))
    file = Path(setup.origin.file or target)
    built = {**kwargs, **{spec.field_of(key): None for key in spec.unset}}  # what the framework hands peft
    wrapped = wrap_lora(target, base.model, built, file, meta=not base.weights)
    if isinstance(wrapped, PeftRefusal) and wrapped.field == "lora_dropout" and spec.expert_dropout_waived:
        # axolotl >= 0.17 builds peft's ParamWrapper (fused experts) without dropout instead of failing
        setup.notes.append(Note(f"{spec.framework} applies no lora_dropout to the fused expert parameters", target))
        wrapped = wrap_lora(target, base.model, {**built, "lora_dropout": 0.0}, file, meta=not base.weights)
    return attach_wrapped(setup, wrapped)


@hookimpl
def lora_lint_load_setup(target: str, settings: Settings, options: LoadOptions) -> list[Setup] | None:
    if not is_yaml_target(target):
        return None
    path = Path(target)
    return [framework_setup(target, path, read_framework_config(path), settings)]
