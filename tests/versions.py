"""The installed framework versions, for tests whose expectations differ between the supported sets.

CI runs the suite on transformers 5 and on transformers 4.57 with peft 0.17 (README, "Supported
versions"); a test that depends on one of them branches or skips here, naming the difference.
"""

from __future__ import annotations

import peft
import pytest
import transformers
from packaging.version import Version

TRANSFORMERS = Version(transformers.__version__)
PEFT = Version(peft.__version__)
TRANSFORMERS_5 = TRANSFORMERS.major >= 5

#: ViT's query/value projections: renamed q_proj/v_proj in transformers 5
VIT_QV = ["q_proj", "v_proj"] if TRANSFORMERS_5 else ["query", "value"]

#: fused 3-D MoE experts (``experts.gate_up_proj``/``experts.down_proj``) of Mixtral, Qwen-MoE and PhiMoE exist
#: only in transformers 5 (GPT-OSS is fused in 4.x too)
fused_experts_only = pytest.mark.skipif(
    not TRANSFORMERS_5,
    reason="transformers 4.x stores each Mixtral/Qwen-MoE/PhiMoE expert as its own nn.Linear: no fused 3-D "
    "experts for target_parameters or LORA106 before transformers 5",
)

#: transformers 5 registers the input-grad hook itself when checkpointing is enabled; 4.x registers it only for
#: adapters it loaded itself (``_hf_peft_config_loaded``), so a ``get_peft_model`` model has none after enabling
CHECKPOINTING_HOOKS_INPUTS = TRANSFORMERS_5


def checkpointing_on(model: object) -> bool:
    """transformers 5's ``is_activation_checkpointing``, 4.x's ``is_gradient_checkpointing``."""
    on = getattr(model, "is_activation_checkpointing", None)
    return bool(getattr(model, "is_gradient_checkpointing", False) if on is None else on)


def remove_input_grad_hook(model: object) -> None:
    """``disable_input_require_grads()``, which transformers 4.x raises on when no hook was registered."""
    base = getattr(getattr(model, "base_model", model), "model", model)
    if TRANSFORMERS_5 or hasattr(base, "_require_grads_hook"):
        model.disable_input_require_grads()  # type: ignore[attr-defined]
