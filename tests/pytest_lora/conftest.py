"""Fixtures of the plugin tests: a pytester folder with tiny LoRA models importable."""

from __future__ import annotations

# Imported here, in the outer session, so pytester's in-process runs (which drop modules they import)
# reuse them: torch's C extension cannot be imported twice in one process.
import peft  # noqa: F401
import pytest
import torch  # noqa: F401
import transformers.models.llama.modeling_llama  # noqa: F401

from tests.pytest_lora.support import LORA_MODELS


@pytest.fixture
def lora_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder with ``lora_models.py`` importable from the inner session."""
    pytester.makepyfile(lora_models=LORA_MODELS)
    pytester.syspathinsert()
    return pytester
