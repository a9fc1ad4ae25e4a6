"""A LLaMA-Factory YAML config -> the LoraConfig LLaMA-Factory builds.

Semantics followed: LLaMA-Factory v0.9.5 (read at commit ff6d4d1, 2026-08-18; unchanged from v0.9.3 in
these parts): ``src/llamafactory/hparams/finetuning_args.py`` ``LoraArguments`` and
``FinetuningArguments.__post_init__`` for the keys and defaults, ``src/llamafactory/model/adapter.py``
``_setup_lora_tuning`` for the LoraConfig it builds, ``src/llamafactory/model/model_utils/misc.py``
``find_all_linear_modules`` for ``lora_target: all``:
- ``finetuning_type`` defaults to ``lora``; ``oft``, ``freeze`` and ``full`` train no LoRA adapter.
- ``lora_rank`` defaults to 8, ``lora_alpha`` to twice the rank (``lora_alpha or lora_rank * 2``: an
  alpha of 0 also becomes twice the rank), ``lora_dropout`` to 0.
- ``lora_target`` defaults to ``all``: the last name of every module whose class name says Linear
  (and not Embedding), skipping any path containing ``lm_head`` (``output_layer`` on ChatGLM,
  ``output`` on InternLM2). Otherwise a comma list of names. For vision-language models LLaMA-Factory
  also leaves out the projector and (``freeze_vision_tower``, default on) the vision tower through
  ``model_utils/visual.py`` ``patch_target_modules``; that table is not reproduced (a note says so).
- ``additional_target`` (a comma list) becomes ``modules_to_save``; ``use_rslora``, ``use_dora``;
  ``pissa_init`` sets ``init_lora_weights`` to ``pissa_niter_<pissa_iter>`` (``pissa`` when -1).
- ``quantization_bit`` 4 or 8 loads the base through bitsandbytes (the default
  ``quantization_method: bnb``). ``task_type`` is CAUSAL_LM.
Unknown keys are left alone here (LLaMA-Factory itself rejects them; its parser reports those).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lora_lint.frameworks.spec import AllLinear, FrameworkLora, split_commas

LLAMAFACTORY_ALL_LINEAR = AllLinear(
    skip_substrings=("lm_head",),
    by_model_type={"chatglm": ("output_layer",), "internlm2": ("output",)},
    skip_embedding_classes=True,
)


def map_llamafactory(data: Mapping[str, Any], lines: Mapping[str, int]) -> FrameworkLora:
    """The LoRA setup LLaMA-Factory would build from this config (no llamafactory import needed)."""
    base = data.get("model_name_or_path")
    revision = data.get("model_revision")
    common: dict[str, Any] = {
        "framework": "LLaMA-Factory",
        "base_model": str(base) if base else None,
        "revision": str(revision) if revision and revision != "main" else None,
        "lines": dict(lines),
        "base_key": "model_name_or_path",
    }
    kind = str(data.get("finetuning_type") or "lora").lower()
    if kind != "lora":
        return FrameworkLora(kwargs={}, not_lora=f"finetuning_type: {kind}: LLaMA-Factory trains no LoRA adapter", **common)
    rank = data.get("lora_rank", 8)
    alpha = data.get("lora_alpha") or (rank * 2 if isinstance(rank, int) else None)
    kwargs: dict[str, Any] = {
        "task_type": "CAUSAL_LM",
        "r": rank,
        "lora_alpha": alpha,
        "lora_dropout": data.get("lora_dropout", 0.0),
        "use_rslora": bool(data.get("use_rslora", False)),
        "use_dora": bool(data.get("use_dora", False)),
    }
    # a defaulted alpha keeps its own name (findings say "lora_alpha"), with no line of its own
    keys = {"r": "lora_rank", "lora_alpha": "lora_alpha"}
    keys.update({f: f for f in ("lora_dropout", "use_rslora", "use_dora") if f in data})
    targets = split_commas(data.get("lora_target", "all")) or ["all"]
    all_linear = None
    if len(targets) == 1 and targets[0] == "all":
        all_linear = LLAMAFACTORY_ALL_LINEAR
    else:
        kwargs["target_modules"] = targets
    keys["target_modules"] = "lora_target"
    extra = split_commas(data.get("additional_target"))
    if extra:
        kwargs["modules_to_save"] = extra
        keys["modules_to_save"] = "additional_target"
    if data.get("pissa_init"):
        niter = data.get("pissa_iter", 16)
        kwargs["init_lora_weights"] = "pissa" if niter == -1 else f"pissa_niter_{niter}"
        keys["init_lora_weights"] = "pissa_init"
    notes: list[str] = []
    bits = data.get("quantization_bit")
    method = str(data.get("quantization_method") or "bnb").lower()
    if bits is not None and method != "bnb":
        notes.append(f"quantization_method: {method} is not reproduced; the base is checked unquantised")
        bits = None
    if bits is not None and bits not in (4, 8):
        notes.append(f"quantization_bit: {bits} is not reproduced (bitsandbytes loads 4 or 8 bits)")
        bits = None
    if data.get("adapter_name_or_path") and not data.get("create_new_adapter"):
        notes.append(
            "adapter_name_or_path without create_new_adapter: training resumes the last saved adapter, whose "
            "adapter_config.json governs; lint that folder too"
        )
    return FrameworkLora(kwargs=kwargs, all_linear=all_linear, bits=bits, keys=keys, notes=tuple(notes), **common)
