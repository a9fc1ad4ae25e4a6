"""LORA502: a bitsandbytes k-bit base is trained without prepare_model_for_kbit_training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class KbitNotPrepared(Rule):
    """
    ## What it does
    On a base quantized by bitsandbytes (8-bit `Linear8bitLt` or 4-bit `Linear4bit` layers), reports
    normalisation weights left in float16/bfloat16, the state a base is in when
    `peft.prepare_model_for_kbit_training` was not called (it casts every non-quantized tensor to
    float32, enables input gradients and checkpointing). A k-bit base loaded in float32 is fine as
    it is and is not reported. Checkpointing without input gradients, the other half of the
    preparation, is LORA504's to report.

    ## Why is this bad?
    LayerNorm/RMSNorm statistics in half precision overflow or lose precision, and those errors flow
    into every adapter's gradient: the QLoRA recipe keeps norms (and the head) in float32 for that
    reason. Training then diverges or learns worse than it should, with no error raised.

    ## Example
    ```python
    base = AutoModelForCausalLM.from_pretrained(name, quantization_config=BitsAndBytesConfig(load_in_4bit=True),
                                                dtype=torch.bfloat16)
    model = get_peft_model(base, config)
    ```

    ## Use instead
    ```python
    base = prepare_model_for_kbit_training(base)
    model = get_peft_model(base, config)
    ```

    ## References
    - peft `prepare_model_for_kbit_training`; Dettmers et al. 2023, "QLoRA"
    """

    code = "LORA502"
    name = "kbit-not-prepared"
    severity = Severity.WARNING
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    training_only = True
    hint = "Call peft.prepare_model_for_kbit_training(base) before get_peft_model (not after: it freezes the adapter)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        kbit = ctx.training.kbit
        if kbit is None or kbit.norms_prepared:
            return
        norms = kbit.half_norms
        dtype = norms[0][1]
        shown = shorten(n for n, _ in norms)
        other = f"; {len(kbit.half_other)} other non-quantized tensors too" if kbit.half_other else ""
        message = (
            f"{kbit.bits}-bit bitsandbytes base is not prepared for training: {len(norms)} norm weights are "
            f"{dtype} ({shown}){other}. Half-precision norms make the adapters' gradients overflow or lose precision"
        )
        yield self.finding(
            ctx,
            message,
            parameter=norms[0][0],
            evidence={
                "bits": kbit.bits,
                "half_norms": [n for n, _ in norms],
                "half_other": [n for n, _ in kbit.half_other],
            },
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(KbitNotPrepared)
