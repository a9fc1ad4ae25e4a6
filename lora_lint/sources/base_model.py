"""Build a base model from a folder: on the meta device from config.json alone, or with its weights.

With weights it loads on the resolved ``--device``, optionally quantised by bitsandbytes the way the
classic 8-bit and QLoRA recipes do it (then ``prepare_model_for_kbit_training``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError, UsageError
from lora_lint.findings import Note
from lora_lint.text import one_line

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")

Progress = Callable[[str], None]


@dataclass
class BaseModel:
    """A base model and whether it holds real weights."""

    model: Any
    weights: bool
    #: why the architecture could not be built offline (remote code), else None
    unverifiable: str | None = None
    #: what was done to build it, for a note ("built LlamaForCausalLM on the meta device")
    how: str = ""


def has_weights(folder: Path) -> bool:
    return any((folder / name).is_file() for name in WEIGHT_FILES)


def read_model_config(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise SetupLoadError(str(folder), "no such folder" if not folder.exists() else "not a folder")
    from lora_lint.sources.file_reading import named, parse_json, read_config_text

    path = folder / "config.json"
    if not named(path):  # a FIFO or an unreadable config.json is there: read_config_text says what it is
        raise SetupLoadError(str(folder), "no config.json in the model folder")
    from lora_lint.sources.model_fields import check_model_fields

    data = parse_json(read_config_text(path), path)
    if not isinstance(data, dict):
        raise SetupLoadError(str(path), "config.json must hold a JSON object")
    check_model_fields(data, path)
    return data


#: peft task_type -> the Auto class a training script loads the base with for that task
TASK_AUTO_CLASSES = {
    "CAUSAL_LM": "AutoModelForCausalLM",
    "SEQ_CLS": "AutoModelForSequenceClassification",
    "SEQ_2_SEQ_LM": "AutoModelForSeq2SeqLM",
    "TOKEN_CLS": "AutoModelForTokenClassification",
    "QUESTION_ANS": "AutoModelForQuestionAnswering",
    "FEATURE_EXTRACTION": "AutoModel",
}


def _model_class(raw: dict[str, Any], config: Any, task_type: str | None, path: Path) -> Any:
    """The class a training script would build: the LoRA task's Auto class when it fits the model
    type (a Llama checkpoint trained for SEQ_CLS gets its fresh ``score`` head), else the class named
    in ``architectures``, else the causal-LM Auto class (the common LoRA case)."""
    import transformers

    task = str(task_type or "").split(".")[-1].upper()
    auto_name = TASK_AUTO_CLASSES.get(task)
    if auto_name is not None:
        auto = getattr(transformers, auto_name)
        # transformers internal: each Auto class maps config classes to model classes
        if type(config) in getattr(auto, "_model_mapping", {}):
            return auto
    for arch in raw.get("architectures") or ():
        cls = getattr(transformers, arch, None)
        if cls is not None:
            from lora_lint.sources.model_fields import check_architecture

            check_architecture(cls, config, arch, path)
            return cls
    return transformers.AutoModelForCausalLM


def _dtype_kwarg() -> str:
    # transformers renamed from_pretrained's ``torch_dtype`` to ``dtype`` in 4.56
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def _quantization(bits: int | None, device: str) -> Any:
    if bits is None:
        return None
    from importlib.util import find_spec

    if find_spec("bitsandbytes") is None:
        raise UsageError(f"--load-in-{bits}bit needs bitsandbytes: pip install 'lora-lint[bnb]'")
    import torch
    from transformers import BitsAndBytesConfig

    if bits == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    # QLoRA: NF4 with double quantisation, computing in bf16 (fp32 on CPU, where bf16 matmuls are slow)
    compute = torch.bfloat16 if device.startswith("cuda") else torch.float32
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=compute
    )


def build_base_model(
    folder: str | Path,
    *,
    device: str = "cpu",
    weights: bool | None = None,
    bits: int | None = None,
    task_type: str | None = None,
    progress: Progress | None = None,
) -> BaseModel:
    """The base model of ``folder``; with no weights on disk (or ``weights=False``) built on meta.

    ``task_type`` (peft's, e.g. ``SEQ_CLS``) picks the Auto class for that task. ``bits`` (8 or 4)
    loads the weights through bitsandbytes and prepares the model for k-bit training as the classic
    recipes do. Remote-code architectures cannot be built offline: the
    result has ``model=None`` and ``unverifiable`` says why, so rules report "cannot verify"
    rather than "matches nothing".
    """
    folder = Path(folder)
    raw = read_model_config(folder)
    if raw.get("auto_map"):
        reason = f"{folder} needs remote code ({raw.get('model_type', '?')}); it cannot be built offline"
        return BaseModel(None, False, reason)
    import torch
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
    except (ValueError, KeyError, OSError) as exc:
        return BaseModel(None, False, f"transformers cannot read {folder}/config.json: {one_line(exc)}")
    cls = _model_class(raw, config, task_type, folder / "config.json")
    use_weights = has_weights(folder) if weights is None else weights
    say = progress or (lambda _msg: None)
    try:
        if use_weights:
            quant = _quantization(bits, device)
            where = f"from {folder} on {device}" + (f" in {bits}-bit" if bits else "")
            say(f"loading {folder}")
            if quant is not None:
                model = cls.from_pretrained(
                    folder, local_files_only=True, quantization_config=quant, device_map={"": device}
                )
                from peft import prepare_model_for_kbit_training

                model = prepare_model_for_kbit_training(model)
            else:
                dtype = torch.float32 if device == "cpu" else "auto"
                model = cls.from_pretrained(folder, local_files_only=True, **{_dtype_kwarg(): dtype}).to(device)
            return BaseModel(model, True, how=f"loaded {type(model).__name__} {where}")
        say(f"building {folder} on the meta device")
        with torch.device("meta"):
            model = cls.from_config(config) if hasattr(cls, "from_config") else cls._from_config(config)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001  transformers raises many types for a broken checkpoint
        raise SetupLoadError(str(folder), f"{type(exc).__name__}: {one_line(exc)}") from None
    return BaseModel(model, False, how=f"{folder} has no weights: built {type(model).__name__} on the meta device")


def resolve_device(spec: str | None) -> str:
    """``auto`` -> cuda when available; the probe's resolver is the one place that decides."""
    from lora_lint.probe.devices import resolve_device as resolve

    return str(resolve(spec))


def trainable_note(model: Any, target: str) -> Note | None:
    """'trainable parameters: 4,194,304 of 6,742,609,920 (0.0622%)' for a model, or None."""
    counter = getattr(model, "get_nb_trainable_parameters", None)
    try:
        if callable(counter):  # peft counts 4-bit parameters at their unpacked size
            trainable, total = counter()
        else:
            params = list(model.parameters())
            trainable = sum(p.numel() for p in params if p.requires_grad)
            total = sum(p.numel() for p in params)
    except Exception:  # noqa: BLE001  an exotic module that cannot count itself: say nothing rather than guess
        return None
    if not total:
        return None
    return Note(f"trainable parameters: {trainable:,} of {total:,} ({100 * trainable / total:.4f}%)", target)
