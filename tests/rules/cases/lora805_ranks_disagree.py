"""LORA805 cases: two ranks that built different lora_A and trained one adapter on rank 0 only (as the
process group reported them), against two ranks in agreement. tests/distributed runs the real 2-process job."""

from __future__ import annotations

from lora_lint.context import Setup
from lora_lint.facts.rank_agreement import PartialGrad, RankAgreement
from tests.tiny_models import llama, lora

CODE = "LORA805"
PROBE = False


def bad(tmp_path):
    model = lora(llama())
    a = next(n for n, _ in model.named_parameters() if "lora_A" in n)
    disagreement = RankAgreement(
        world_size=2,
        partial_grads=(PartialGrad("model.layers.0.self_attn.q_proj", "default", (0,)),),
        differing_weights=(a,),
    )
    return Setup(target="train.py:build", model=model, ranks=disagreement)


def good(tmp_path):
    return Setup(target="train.py:build", model=lora(llama()), ranks=RankAgreement(world_size=2))
