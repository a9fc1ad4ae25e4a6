"""Real merged checkpoints of the tiny Llama (peft's merge_and_unload, saved with save_pretrained), built once."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tests.saved_adapters import copy_tree, edit_config, trained_llama
from tests.session_cache import cache_dir
from tests.tiny_models import llama, llama_kbit, saved_llama_dir


def _root() -> Path:
    """The session's folder for merged checkpoints (under pytest's temporary root, like the other caches)."""
    return cache_dir("merged-checkpoints")


def _merge(base: Any, adapter: Path, name: str) -> Path:
    from peft import PeftModel

    path = _root() / name
    PeftModel.from_pretrained(base, str(adapter)).merge_and_unload().save_pretrained(path)
    return path


@functools.cache
def correct_merge() -> Path:
    return _merge(llama(), trained_llama(), "correct")


@functools.cache
def unmerged_copy() -> Path:
    """merge_and_unload() on a copy that is never saved; the untouched base is saved as 'merged'."""
    from peft import PeftModel

    path = _root() / "unmerged"
    base = llama()
    PeftModel.from_pretrained(llama(), str(trained_llama())).merge_and_unload()
    base.save_pretrained(path)
    return path


@functools.cache
def other_alpha_merge() -> Path:
    adapter = copy_tree(trained_llama(), _root() / "adapter-alpha32")
    edit_config(adapter, lora_alpha=32)
    return _merge(llama(), adapter, "alpha32")


@functools.cache
def four_bit_merge() -> Path:
    """Merged into the base loaded in 4-bit (bitsandbytes NF4), dequantised and saved in float32."""
    from peft import PeftModel

    path = _root() / "four-bit"
    merged = PeftModel.from_pretrained(llama_kbit(4), str(trained_llama())).merge_and_unload()
    merged.dequantize().save_pretrained(path)
    return path


def merged_setup(folder: Path, adapter: Path | None = None, base: Path | None = None) -> Any:
    """The setup ``lora-lint check FOLDER --model BASE [--adapter ADAPTER]`` lints."""
    from lora_lint.settings import Settings
    from lora_lint.sources.merged_dir import lora_lint_load_setup
    from lora_lint.sources.options import LoadOptions

    options = LoadOptions(model=Path(base or saved_llama_dir()), adapter=Path(adapter) if adapter else None)
    (setup,) = lora_lint_load_setup(target=str(folder), settings=Settings(), options=options)
    return setup
