"""One reading of "quantized by bitsandbytes": packed weights, k-bit layers and k-bit bases of real loads."""

from __future__ import annotations

import pytest

from lora_lint.context import RuleContext, Setup
from lora_lint.facts.kbit_kinds import layer_bits, loaded_bits, packed_bits
from lora_lint.settings import Settings
from tests.tiny_models import llama, llama_kbit, lora


@pytest.mark.parametrize("bits", [4, 8])
def test_a_bitsandbytes_load_is_read_alike_by_weight_layer_and_base(bits: int) -> None:
    base = llama_kbit(bits)
    proj = base.model.layers[0].self_attn.q_proj
    assert (packed_bits(proj.weight), layer_bits(proj), loaded_bits(base)) == (bits, bits, bits)
    assert packed_bits(base.model.norm.weight) is None and layer_bits(base.model.norm) is None
    ctx = RuleContext(Setup("m", model=lora(base)), Settings())
    kbit = ctx.training.kbit
    assert kbit is not None and kbit.bits == bits and ctx.params.quantized == f"{bits}-bit"


def test_a_float_model_is_not_quantized() -> None:
    base = llama()
    proj = base.model.layers[0].self_attn.q_proj
    assert (packed_bits(proj.weight), layer_bits(proj), loaded_bits(base)) == (None, None, None)
    ctx = RuleContext(Setup("m", model=lora(base)), Settings())
    assert ctx.training.kbit is None and ctx.params.quantized is None
