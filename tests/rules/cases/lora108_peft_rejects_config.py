"""LORA108 cases: a config peft refuses on the model it is checked against.

transformers 5 fuses Mixtral's experts into 3-D parameters; peft reaches them from ``all-linear`` through
``target_parameters`` and its ParamWrapper, which refuses ``lora_dropout != 0``. Under transformers 4.57 /
peft 0.17 every expert is an ``nn.Linear`` and peft accepts that config, so there the bad case is an axolotl
config without ``lora_r`` (axolotl hands peft ``r=None``, refused in every version). On transformers 5 the
case is an axolotl config naming the fused experts in ``lora_target_parameters`` with dropout 0.05.
"""

from __future__ import annotations

import json

from tests.rules.runner import hint_groups
from tests.tiny_models import moe_config
from tests.versions import TRANSFORMERS_5

CODE = "LORA108"
PROBE = False
LORA = {"r": 8, "lora_alpha": 16, "target_modules": "all-linear", "bias": "none", "task_type": "CAUSAL_LM"}


def _mixtral_dir(tmp_path):
    folder = tmp_path / "mixtral"
    moe_config("mixtral").save_pretrained(folder)
    return folder


def _axolotl(tmp_path, rank: str = "lora_r: 8\n", experts: str = "", dropout: float = 0.0) -> str:
    path = tmp_path / "mixtral-lora.yml"
    path.write_text(
        f"base_model: {_mixtral_dir(tmp_path)}\nadapter: lora\n{rank}lora_alpha: 16\nlora_dropout: {dropout}\n"
        f"lora_target_modules:\n  - q_proj\n  - v_proj\n{experts}"
    )
    return str(path)


#: the fused experts of transformers 5's Mixtral, adapted through peft's ParamWrapper
EXPERTS = "lora_target_parameters:\n  - experts.gate_up_proj\n  - experts.down_proj\n"


def config_pair(tmp_path, dropout: float):
    """``--model DIR --lora-config FILE`` for the all-linear config on a tiny Mixtral."""
    config = tmp_path / "lora.json"
    config.write_text(json.dumps({**LORA, "lora_dropout": dropout}))
    return _mixtral_dir(tmp_path), config


def bad(tmp_path):
    if TRANSFORMERS_5:
        return _axolotl(tmp_path, experts=EXPERTS, dropout=0.05)
    return _axolotl(tmp_path, rank="")


def good(tmp_path):
    if TRANSFORMERS_5:
        return _axolotl(tmp_path, experts=EXPERTS)
    return _axolotl(tmp_path)


def fixed(tmp_path, findings):
    if TRANSFORMERS_5:
        (dropout,) = hint_groups(findings, r"Set lora_dropout: ([\d.]+)")
        return _axolotl(tmp_path, experts=EXPERTS, dropout=float(dropout))
    (rank,) = hint_groups(findings, r"\(e\.g\. lora_r: (\d+)\)")
    return _axolotl(tmp_path, rank=f"lora_r: {rank}\n")
