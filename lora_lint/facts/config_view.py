"""A LoRA config read from its saved keyword arguments without peft, for checks that have no model and no base.

Importing peft imports torch and transformers (seconds, and gigabytes on a GPU box). A saved adapter folder
or a training run checked without ``--model`` only needs the values written in ``adapter_config.json``, so
such setups get a :class:`LoraConfigView` instead of a ``peft.LoraConfig``. Wherever a model or a base model
exists, the facts keep real ``LoraConfig`` objects (those paths import torch anyway).
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: ``peft.LoraConfig()``'s defaults for every field lora-lint reads (peft/tuners/lora/config.py and
#: peft/config.py), spelled out so no torch is imported. tests/facts/test_config_view.py compares them with
#: peft's own, so a peft release that changes one fails there.
DEFAULTS: Mapping[str, Any] = {
    "task_type": None,
    "base_model_name_or_path": None,
    "revision": None,
    "inference_mode": False,
    "r": 8,
    "target_modules": None,
    "exclude_modules": None,
    "lora_alpha": 8,
    "lora_dropout": 0.0,
    "fan_in_fan_out": False,
    "bias": "none",
    "use_rslora": False,
    "modules_to_save": None,
    "init_lora_weights": True,
    "layers_to_transform": None,
    "layers_pattern": None,
    "rank_pattern": {},
    "alpha_pattern": {},
    "trainable_token_indices": None,
    "use_dora": False,
    "lora_bias": False,
    "target_parameters": None,
}


@dataclass(frozen=True)
class LoraConfigView:
    """The ``LoraConfig`` fields lora-lint reads, with peft's defaults where the file leaves one out.

    Attribute names and values are those of ``LoraConfig(**kwargs)``: as there, a ``target_modules`` or
    ``exclude_modules`` list becomes a set (``LoraConfig.__post_init__``) and ``peft_type`` is ``"LORA"``.
    peft's own validation is not repeated: a config peft would refuse is still read as written.
    """

    task_type: Any
    base_model_name_or_path: Any
    revision: Any
    inference_mode: Any
    r: Any
    target_modules: Any
    exclude_modules: Any
    lora_alpha: Any
    lora_dropout: Any
    fan_in_fan_out: Any
    bias: Any
    use_rslora: Any
    modules_to_save: Any
    init_lora_weights: Any
    layers_to_transform: Any
    layers_pattern: Any
    rank_pattern: Any
    alpha_pattern: Any
    trainable_token_indices: Any
    use_dora: Any
    lora_bias: Any
    target_parameters: Any
    peft_type: str = "LORA"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> LoraConfigView:
        """The config ``LoraConfig(**kwargs)`` would build, for the fields above (others are ignored)."""
        values = {name: copy.deepcopy(kwargs.get(name, default)) for name, default in DEFAULTS.items()}
        for name in ("target_modules", "exclude_modules"):
            if isinstance(values[name], list):
                values[name] = set(values[name])
        _refuse_as_peft_does(values, kwargs)
        return cls(**values)


#: peft.TaskType's values (PeftConfigMixin.__post_init__ refuses any other task_type)
TASK_TYPES = ("SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION")


def _refuse_as_peft_does(values: Mapping[str, Any], kwargs: Mapping[str, Any]) -> None:
    """Raise what ``LoraConfig(**kwargs)`` raises for a field combination it refuses, with peft's message.

    peft internal: restates the checks of ``PeftConfigMixin.__post_init__`` and ``LoraConfig.__post_init__``
    that need no import (not those inside nested sub-configs such as ``eva_config``), so a config peft
    refuses fails here as it does with peft; tests/facts/test_config_view.py compares the two.
    """
    task = values["task_type"]
    if task is not None and task not in TASK_TYPES:
        raise ValueError(f"Invalid task type: '{task}'. Must be one of the following task types: {', '.join(TASK_TYPES)}.")
    targets, layers, pattern = values["target_modules"], values["layers_to_transform"], values["layers_pattern"]
    if isinstance(values["target_parameters"], str):
        raise TypeError("`target_parameters` must be a list of strings or None.")
    if isinstance(targets, str) and layers is not None:
        raise ValueError("`layers_to_transform` cannot be used when `target_modules` is a str.")
    if isinstance(targets, str) and pattern is not None:
        raise ValueError("`layers_pattern` cannot be used when `target_modules` is a str.")
    if pattern and layers is None:
        raise ValueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    if values["use_dora"] and kwargs.get("megatron_config"):
        raise ValueError("DoRA does not support megatron_core, please set `use_dora=False`.")
    init = values["init_lora_weights"]
    if init == "loftq":
        if importlib.util.find_spec("scipy") is None:
            raise ImportError("The required package 'scipy' is not installed. Please install it to continue.")
        if not kwargs.get("loftq_config"):
            raise ValueError("`loftq_config` must be specified when `init_lora_weights` is 'loftq'.")
    if values["lora_bias"]:
        if init not in (True, False):
            raise ValueError(
                f"The argument lora_bias=True is only supported with init_lora_weights=True or False, got "
                f"init_lora_weights={init} instead."
            )
        if values["use_dora"]:
            raise ValueError("The argument lora_bias=True is not supported for DoRA, please pass use_dora=False")


def config_view(kwargs: Mapping[str, Any]) -> LoraConfigView:
    """A torch-free stand-in for ``LoraConfig(**kwargs)`` (see :class:`LoraConfigView`)."""
    return LoraConfigView.from_kwargs(kwargs)


def pattern_key(pattern_keys: Iterable[str], key: str) -> str:
    """The ``rank_pattern``/``alpha_pattern`` key peft applies to module ``key`` (``key`` itself when none does).

    peft internal: restates ``peft.utils.other.get_pattern_key`` (a pure function in a module that imports
    torch); tests/facts/test_config_view.py checks both give the same answers.
    """
    for pattern in pattern_keys:
        if re.match(rf"(.*\.)?({pattern})$", key):
            return pattern
    return key


def target_module_exists(config: Any, key: str) -> bool:
    """Whether peft puts a LoRA layer on module ``key`` under ``config`` (exclusions and layer filters applied).

    peft internal: restates ``peft.tuners.tuners_utils.check_target_module_exists`` (its excluded-module
    result read as False); tests/facts/test_config_view.py checks both give the same answers.
    """
    exclude = getattr(config, "exclude_modules", None)
    if exclude:
        if isinstance(exclude, str):
            if re.fullmatch(exclude, key):
                return False
        elif key in exclude or any(key.endswith(f".{e}") for e in exclude):
            return False
    saved = getattr(config, "modules_to_save", None)
    if saved and any(re.match(rf"(^|.*\.){m}($|\..*)", key) for m in saved):
        return False
    targets = config.target_modules
    if targets is None and config.target_parameters is not None:
        return False
    if isinstance(targets, str):
        return re.fullmatch(targets, key) is not None
    if key in targets:
        return True
    if not any(key.endswith(f".{t}") for t in targets):
        return False
    return _in_selected_layer(config, key)


def _in_selected_layer(config: Any, key: str) -> bool:
    indexes = getattr(config, "layers_to_transform", None)
    if indexes is None or (isinstance(indexes, list) and not indexes):
        return True
    patterns = getattr(config, "layers_pattern", None)
    match = None
    if patterns is None or len(patterns) == 0:
        # the first numbered segment is the layer index (not an expert index nested below it)
        match = re.match(r".*?\.[^.]*\.(?P<idx>\d+)\.", key)
    else:
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            match = re.match(rf"(?:^|.*?\.){pattern}\.(?P<idx>\d+)\.", key)
            if match is not None:
                break
    index = match.groupdict().get("idx") if match else None
    if index is None:
        return False
    return int(index) == indexes if isinstance(indexes, int) else int(index) in indexes


def module_targeted(config: Any, key: str) -> bool:
    """peft's decision for a ``LoraConfig``; the torch-free restatement for a :class:`LoraConfigView`."""
    if isinstance(config, LoraConfigView):
        return target_module_exists(config, key)
    # peft internal: check_target_module_exists is how LoraModel decides which modules get a layer.
    from peft.tuners.tuners_utils import check_target_module_exists

    return bool(check_target_module_exists(config, key))
