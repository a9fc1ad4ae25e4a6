"""A framework config file -> ``FrameworkLora``: read the YAML, recognise the framework, apply its mapping."""

from __future__ import annotations

from pathlib import Path

from lora_lint.errors import SetupLoadError
from lora_lint.frameworks.detect import detect, expected_keys
from lora_lint.frameworks.spec import FrameworkLora
from lora_lint.frameworks.yaml_doc import read_yaml

YAML_SUFFIXES = (".yml", ".yaml")


def is_yaml_target(target: str) -> bool:
    return Path(target).suffix.lower() in YAML_SUFFIXES


def read_framework_config(path: Path) -> FrameworkLora:
    """The LoRA setup the framework that wrote ``path`` would build; exit-2 errors for unreadable input."""
    if not path.exists():
        raise SetupLoadError(str(path), "no such file")
    data, lines = read_yaml(path)
    kind = detect(data)
    if kind == "axolotl":
        from lora_lint.frameworks.axolotl import map_axolotl

        return map_axolotl(data, lines)
    if kind == "llamafactory":
        from lora_lint.frameworks.llamafactory import map_llamafactory

        return map_llamafactory(data, lines)
    raise SetupLoadError(str(path), f"not an axolotl or LLaMA-Factory config ({expected_keys()})")
