"""LORA503: adapter weights sit on another device than the layer they wrap."""

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


class DeviceSplit(Rule):
    """
    ## What it does
    Compares the device of every adapter's weights with the device of the base layer it wraps and
    reports the layers where they differ, grouped by the two devices. An adapter left on the `meta`
    device while its base layer holds real weights is reported too (its weights were never
    materialised). A base layer on `meta` with a real adapter is not: that is how offloading
    (`device_map` with CPU/disk offload) keeps base weights, and a meta-device build has no devices to
    compare.

    ## Why is this bad?
    The forward pass fails with "Expected all tensors to be on the same device", or, on the meta
    device, there are no adapter values to compute with or train. It happens when an adapter is
    added after the model was moved (`model.to("cuda")` then `add_adapter`/`load_adapter` on CPU), when
    a single layer is moved by hand, or with `get_peft_model(..., low_cpu_mem_usage=True)` (peft:
    "don't use low_cpu_mem_usage=True when creating a new PEFT adapter for training").

    ## Example
    ```python
    model = get_peft_model(base, config, low_cpu_mem_usage=True)  # adapters on meta
    ```

    ## Use instead
    ```python
    model = get_peft_model(base, config)
    model.to(device)   # after adding every adapter
    ```
    """

    code = "LORA503"
    name = "device-split"
    severity = Severity.ERROR
    needs = Needs.MODEL
    basis = Basis.STRUCTURE
    hint = "Move the whole model once, after every adapter was added: model.to(device)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        groups: dict[tuple[str, str, str], list[str]] = {}
        for layer in ctx.layers:
            base = layer.base_device
            if base in ("?", "meta"):
                continue
            for slot in layer.adapters:
                if slot.device != base:
                    groups.setdefault((slot.adapter, slot.device, base), []).append(slot.a_param or layer.path)
        for (adapter, where, base), params in groups.items():
            if where == "meta":
                message = (
                    f"adapter {adapter!r} weights are on the meta device while their base layers are on {base} "
                    f"({shorten(params, 1)}): they were never materialised, so the forward pass fails and there is "
                    "nothing to train"
                )
                hint = (
                    "Do not pass low_cpu_mem_usage=True when creating a new adapter for training, or load the "
                    "adapter's weights into it (set_peft_model_state_dict / load_adapter)."
                )
            else:
                message = (
                    f"adapter {adapter!r} weights are on {where} while their base layers are on {base} "
                    f"({shorten(params, 1)}): the forward pass fails with a device mismatch"
                )
                hint = f"Move the whole model once, after adding every adapter: model.to({base!r})."
            yield self.finding(
                ctx,
                message,
                parameter=params[0],
                adapter=adapter,
                hint=hint,
                evidence={"adapter_device": where, "base_device": base, "parameters": params},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(DeviceSplit)
