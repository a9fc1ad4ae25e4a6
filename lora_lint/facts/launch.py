"""How the job is launched, from the accelerate config, the DeepSpeed JSON and the environment (no torch).

Defaults are accelerate's own (``FullyShardedDataParallelPlugin.__post_init__``, ``DeepSpeedPlugin``):
FSDP version 1, ``use_orig_params`` False, no auto-wrap, ``zero3_save_16bit_model`` False; a DeepSpeed
``"auto"`` gather flag takes accelerate's ``zero3_save_16bit_model``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from lora_lint.errors import UsageError
from lora_lint.facts.launch_files import ConfigFile, read_json, read_yaml

T = TypeVar("T")

#: accelerate's ``fsdp_auto_wrap_policy`` values -> the kind of policy simulated
_WRAP_KINDS = {"TRANSFORMER_BASED_WRAP": "transformer", "SIZE_BASED_WRAP": "size", "NO_WRAP": "none"}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One launch setting and where it was written (file and line; no file for a default or the environment)."""

    value: T
    key: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class WrapPolicy:
    """FSDP1's auto-wrap policy: ``transformer`` (layer classes), ``size`` (min params), ``none``, or ``peft``
    (peft's ``fsdp_auto_wrap_policy``: LoRA layers wrapped on their own, as transformers' Trainer sets it)."""

    kind: str
    layer_classes: tuple[str, ...] = ()
    min_num_params: int = 0


@dataclass(frozen=True)
class LaunchFacts:
    """The launch settings lint rules read; None where nothing configures them."""

    files: tuple[str, ...] = ()
    zero_stage: Setting[int] | None = None
    #: ``stage3_gather_16bit_weights_on_model_save`` (or accelerate's ``zero3_save_16bit_model``), resolved
    gather_on_save: Setting[bool] | None = None
    fsdp_version: Setting[int] | None = None
    use_orig_params: Setting[bool] | None = None
    wrap: Setting[WrapPolicy] | None = None
    world_size: Setting[int] | None = None

    @property
    def data_parallel(self) -> bool:
        return self.world_size is not None and self.world_size.value > 1


def _at(cfg: ConfigFile, key: str, value: T) -> Setting[T]:
    return Setting(value, key, str(cfg.path), cfg.line(key))


def _int(cfg: ConfigFile, key: str) -> int | None:
    value = cfg.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or not str(value).strip().isdigit():
        raise UsageError(f"{cfg.path}: {key} must be a whole number, got {value!r}")
    return int(value)


def _bool(cfg: ConfigFile, key: str) -> bool | str | None:
    value = cfg.get(key)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    if text == "auto":
        return "auto"
    raise UsageError(f"{cfg.path}: {key} must be true or false, got {value!r}")


def _deepspeed_path(accelerate: ConfigFile, given: Path | None) -> Path | None:
    """``deepspeed_config.deepspeed_config_file`` of the accelerate config (beside it, else the working dir)."""
    if given is not None:
        return given
    named = accelerate.get("deepspeed_config.deepspeed_config_file")
    if not named:
        return None
    beside = accelerate.path.parent / str(named)
    return beside if beside.is_file() else Path(str(named))


def read_launch(
    accelerate_config: Path | None = None,
    deepspeed: Path | ConfigFile | None = None,
    environ: Mapping[str, str] | None = None,
) -> LaunchFacts | None:
    """The launch facts of these files and the environment's ``WORLD_SIZE``; None when neither says anything.

    ``deepspeed`` is a JSON file, or a config already in memory (``TrainingArguments(deepspeed={...})``).
    """
    env = os.environ if environ is None else environ
    acc = read_yaml(Path(accelerate_config)) if accelerate_config is not None else None
    if isinstance(deepspeed, ConfigFile):
        ds: ConfigFile | None = deepspeed
    else:
        ds_path = _deepspeed_path(acc, deepspeed) if acc is not None else deepspeed
        ds = read_json(Path(ds_path)) if ds_path is not None else None
    files = tuple(str(c.path) for c in (acc, ds) if c is not None)
    world = _world_size(acc, env)
    if not files and world is None:
        return None
    zero_stage, gather = _zero(acc, ds)
    fsdp_version, orig, wrap = _fsdp(acc)
    return LaunchFacts(files, zero_stage, gather, fsdp_version, orig, wrap, world)


def _world_size(acc: ConfigFile | None, env: Mapping[str, str]) -> Setting[int] | None:
    if acc is not None:
        # accelerate's num_processes is the total over all machines
        procs = _int(acc, "num_processes")
        if procs is not None:
            return _at(acc, "num_processes", procs)
        machines = _int(acc, "num_machines")
        if machines is not None and machines > 1:
            return _at(acc, "num_machines", machines)
    raw = env.get("WORLD_SIZE", "").strip()
    if raw.isdigit():
        return Setting(int(raw), "WORLD_SIZE")
    return None


def _zero(acc: ConfigFile | None, ds: ConfigFile | None) -> tuple[Setting[int] | None, Setting[bool] | None]:
    stage: Setting[int] | None = None
    acc_gather: Setting[bool] | None = None
    if acc is not None and str(acc.get("distributed_type") or "").upper() == "DEEPSPEED":
        value = _int(acc, "deepspeed_config.zero_stage")
        if value is not None:
            stage = _at(acc, "deepspeed_config.zero_stage", value)
        flag = _bool(acc, "deepspeed_config.zero3_save_16bit_model")
        acc_gather = _at(acc, "deepspeed_config.zero3_save_16bit_model", flag is True)
        if flag is None:
            acc_gather = Setting(False, "deepspeed_config.zero3_save_16bit_model", str(acc.path))
    if ds is None:
        return stage, acc_gather
    ds_stage = _int(ds, "zero_optimization.stage")
    if ds_stage is not None:
        if ds_stage not in (0, 1, 2, 3):
            raise UsageError(f"{ds.path}: zero_optimization.stage must be 0, 1, 2 or 3, got {ds_stage}")
        stage = _at(ds, "zero_optimization.stage", ds_stage)
    for key in ("stage3_gather_16bit_weights_on_model_save", "stage3_gather_fp16_weights_on_model_save"):
        flag = _bool(ds, f"zero_optimization.{key}")
        if flag is None:
            continue
        if flag == "auto":  # accelerate fills "auto" from zero3_save_16bit_model (default false)
            resolved = acc_gather.value if acc_gather is not None else False
            return stage, _at(ds, f"zero_optimization.{key}", resolved)
        return stage, _at(ds, f"zero_optimization.{key}", flag is True)
    return stage, Setting(False, "zero_optimization.stage3_gather_16bit_weights_on_model_save", str(ds.path))


def _fsdp(acc: ConfigFile | None) -> tuple[Setting[int] | None, Setting[bool] | None, Setting[WrapPolicy] | None]:
    if acc is None or str(acc.get("distributed_type") or "").upper() != "FSDP":
        return None, None, None
    base = "fsdp_config."
    version = _int(acc, base + "fsdp_version")
    fsdp = _at(acc, base + "fsdp_version", version) if version is not None else Setting(1, base + "fsdp_version", str(acc.path))
    flag = _bool(acc, base + "fsdp_use_orig_params")
    orig = _at(acc, base + "fsdp_use_orig_params", flag is True) if flag is not None else Setting(False, base + "fsdp_use_orig_params", str(acc.path))
    name = str(acc.get(base + "fsdp_auto_wrap_policy") or "NO_WRAP").upper()
    if name not in _WRAP_KINDS:
        raise UsageError(f"{acc.path}: fsdp_auto_wrap_policy must be one of {', '.join(_WRAP_KINDS)}, got {name!r}")
    classes = acc.get(base + "fsdp_transformer_layer_cls_to_wrap")
    if isinstance(classes, str):
        classes = [c.strip() for c in classes.split(",") if c.strip()]
    policy = WrapPolicy(_WRAP_KINDS[name], tuple(classes or ()), _int(acc, base + "fsdp_min_num_params") or 0)
    return fsdp, orig, _at(acc, base + "fsdp_auto_wrap_policy", policy)


def under_trainer(facts: LaunchFacts) -> LaunchFacts:
    """The launch as transformers' Trainer runs it for a PeftModel: FSDP1 wraps with peft's
    ``fsdp_auto_wrap_policy`` (transformers internal: ``update_fsdp_plugin_peft`` in ``Trainer._inner_training_loop``)."""
    from dataclasses import replace

    if facts.wrap is None:
        return facts
    policy = WrapPolicy("peft", facts.wrap.value.layer_classes)
    return replace(facts, wrap=Setting(policy, facts.wrap.key, facts.wrap.file, facts.wrap.line))
