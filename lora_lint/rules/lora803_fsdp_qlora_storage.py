"""LORA803: FSDP over a 4-bit base whose quant storage dtype is not the float dtype of the rest of the model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class FsdpQloraStorage(Rule):
    """
    ## What it does
    When the launch configuration runs FSDP (accelerate `distributed_type: FSDP`) and the model's base
    is quantised to 4 bits by bitsandbytes, compares the dtype the packed 4-bit weights are stored in
    (`bnb_4bit_quant_storage`, `uint8` by default) with the float dtype of the base's other frozen
    parameters (norms, embeddings), and reports when they differ.

    ## Why is this bad?
    FSDP shards a unit by flattening its parameters together, and that needs one dtype per unit. With
    `uint8` storage beside `bfloat16` norms the wrap fails after the full model has loaded on every
    node, or the 4-bit weights are cast and destroyed. The FSDP + QLoRA recipe stores the 4-bit data in
    the model's float dtype so that FSDP sees uniform tensors.

    ## Example
    ```python
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")   # storage uint8
    model = AutoModelForCausalLM.from_pretrained(name, quantization_config=quant, dtype=torch.bfloat16)
    ```

    ## Use instead
    ```python
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_quant_storage=torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(name, quantization_config=quant, dtype=torch.bfloat16)
    ```

    ## References
    - peft docs, "Use PEFT QLoRA and FSDP for finetuning large models on multiple GPUs"
    - transformers `BitsAndBytesConfig(bnb_4bit_quant_storage=...)`
    """

    code = "LORA803"
    name = "fsdp-qlora-storage"
    severity = Severity.ERROR
    needs = Needs.LAUNCH | Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Load with BitsAndBytesConfig(bnb_4bit_quant_storage=<the model's dtype>), e.g. torch.bfloat16."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        fsdp = ctx.launch.fsdp_version
        if fsdp is None:
            return
        place = ctx.placement
        storage, floats = place.quant_storage, place.float_dtype
        if not place.quantized or storage is None or floats is None or storage == floats:
            return
        yield self.finding(
            ctx,
            f"FSDP (version {fsdp.value}, {fsdp.file}) over a 4-bit base stored as {storage} while the rest of "
            f"the base is {floats}: {len(place.quantized)} packed weights (e.g. {place.quantized[0]}) cannot be "
            "flattened with the float parameters of their unit",
            parameter=place.quantized[0],
            setting="bnb_4bit_quant_storage",
            evidence={"quant_storage": storage, "float_dtype": floats, "quantized": len(place.quantized)},
        )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(FsdpQloraStorage)
