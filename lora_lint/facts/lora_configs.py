"""peft's LoraConfig built from keyword arguments as written in a file or saved beside an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def config_from_kwargs(kwargs: Mapping[str, Any]) -> Any:
    """A LoraConfig from keyword arguments as written in a file or saved beside an adapter."""
    from peft import LoraConfig

    clean = {k: v for k, v in kwargs.items() if k in LoraConfig.__dataclass_fields__}
    clean.pop("peft_type", None)
    return LoraConfig(**clean)
