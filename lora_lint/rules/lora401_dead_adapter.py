"""LORA401: an adapter layer that gets no gradient in the probe's backward pass, with the likely cause."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.probe.expect import live_slots
from lora_lint.probe.result import ADAPTER_CAUSES, DeadCause, SlotProbe
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

#: cause -> (what happens, how to fix it)
CAUSES: Mapping[DeadCause, tuple[str, str]] = {
    DeadCause.NOT_CALLED: (
        "the forward pass never calls this layer",
        "Drop it from target_modules, or check why the forward skips this module (an unused or replaced branch).",
    ),
    DeadCause.CHECKPOINT: (
        (
            "it runs inside reentrant activation checkpointing and no input of the checkpointed block "
            "requires grad, so autograd never reaches it"
        ),
        (
            "Call model.enable_input_require_grads() after enabling checkpointing, or enable it with "
            "gradient_checkpointing_kwargs={'use_reentrant': False}."
        ),
    ),
    DeadCause.NO_GRAD: (
        "it runs with gradients disabled (torch.no_grad() or inference_mode() around it in the forward)",
        "Remove the torch.no_grad()/inference_mode() around this part of the forward.",
    ),
    DeadCause.BYPASSED: (
        "the layer runs but its output does not use the adapter: it is disabled or merged while the forward runs",
        "Do not train inside disable_adapter() or with the adapter merged into the base weights.",
    ),
    DeadCause.DETACHED: (
        (
            "its output never carries gradient back from the loss: it is detached (.detach(), .item(), "
            ".numpy()) or unused on the way to the loss"
        ),
        "Remove the .detach() between this layer and the loss, or drop the layer from target_modules if unused.",
    ),
    DeadCause.ZERO: (
        "the gradient that arrives is exactly zero: the adapter's path is multiplied by zero",
        "Check the lora_A/lora_B initialisation and whatever zeroes this layer's input or output.",
    ),
    DeadCause.NOT_INVOKED: (
        (
            "it is an aLoRA adapter, and no row of the batch holds its invocation tokens (alora_invocation_tokens), "
            "so peft applies it to no token"
        ),
        "Put the invocation sequence into every training example, right before the response the adapter should "
        "learn (or drop alora_invocation_tokens to train plain LoRA).",
    ),
    DeadCause.FROZEN: (
        "it has requires_grad=False while lora_A and lora_B train, so DoRA learns the direction but never the magnitude",
        "Leave lora_magnitude_vector trainable (do not call requires_grad_(False) on it after get_peft_model), "
        "or train plain LoRA with use_dora=False.",
    ),
}


_BOTH_ZERO = (
    "lora_A and lora_B are both exactly zero, so each one's gradient is zero and the adapter can never move",
    "Re-create the adapter with init_lora_weights=True, or load trained weights into it.",
)


class DeadAdapter(Rule):
    """
    ## What it does
    Runs one forward and backward pass and reports every adapter layer whose `lora_B` (or, once
    `lora_B` is non-zero, `lora_A`) gets no gradient, naming the likely cause: reentrant activation
    checkpointing with no input requiring grad, a layer the forward never calls, `torch.no_grad()`
    or `.detach()` in the forward, an adapter disabled while the forward runs, an aLoRA adapter whose
    invocation tokens the batch never holds. A DoRA adapter's
    magnitude vector (`lora_magnitude_vector`) must get gradient too: one that is frozen or never
    reached is named.

    ## Why is this bad?
    The optimizer steps, the loss may even fall (a trainable head still learns), yet these adapters
    never change: the saved adapter is the initial one. With the standard init `lora_B` is zero,
    so on the first step only `lora_B` gets gradient; a zero `lora_A` gradient is expected then.

    ## Example
    ```python
    model = get_peft_model(base, LoraConfig(target_modules=["q_proj", "v_proj"]))
    base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    base.disable_input_require_grads()  # frozen embeddings: nothing entering a block needs grad
    ```

    ## Use instead
    ```python
    base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    # or keep reentrant checkpointing and call base.enable_input_require_grads()
    ```

    ## References
    - `torch.utils.checkpoint` (reentrant variant: "None of the inputs have requires_grad=True")
    """

    code = "LORA401"
    name = "dead-adapter"
    severity = Severity.ERROR
    needs = Needs.PROBE
    basis = Basis.PROBE
    training_only = True
    hint = "Make sure every targeted layer is on the forward path with autograd recording."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        probe = ctx.probe
        if probe is None or not probe.loss_computed or probe.failure_stage is not None:
            return  # LORA402 says why there is no gradient at all
        live = live_slots(ctx.layers)
        dead = [s for s in probe.slots if s.dead and (s.layer, s.adapter) in live]
        unreached = [s for s in dead if probe.unreached(s)]
        if unreached:
            ctx.note(
                f"{plural(len(unreached), 'adapter layer')} outside the synthetic batch's reach were not checked "
                f"(e.g. {unreached[0].path}): {probe.batch}; pass a batch that feeds every tower",
                self.code,
            )
            dead = [s for s in dead if not probe.unreached(s)]
        if not probe.loss_requires_grad and any(s.cause not in ADAPTER_CAUSES for s in dead):
            return  # the loss itself is detached: LORA402
        # the layer trains but its DoRA magnitude does not (a dead layer's finding names its magnitude)
        magnitudes = [s for s in probe.slots if not s.dead and s.magnitude_dead and (s.layer, s.adapter) in live]
        for adapter in dict.fromkeys(s.adapter for s in magnitudes):
            yield from self._magnitudes(ctx, adapter, [s for s in magnitudes if s.adapter == adapter])
        for adapter in dict.fromkeys(s.adapter for s in dead):
            mine = [s for s in dead if s.adapter == adapter]
            total = sum(1 for _, name in live if name == adapter)
            if len(mine) == total > 1:
                yield from self._grouped(ctx, adapter, mine)
            else:
                for slot in mine:
                    yield self._single(ctx, slot)

    def _single(self, ctx: RuleContext, slot: SlotProbe) -> Finding:
        cause = slot.cause or DeadCause.ZERO
        why, fix = CAUSES[cause]
        if cause is DeadCause.ZERO and slot.a_is_zero and slot.b_is_zero:
            why, fix = _BOTH_ZERO
        grads = f"lora_A {slot.a.kind.value}, lora_B {slot.b.kind.value}"
        evidence = {"cause": cause.value, "grad_a": slot.a.kind.value, "grad_b": slot.b.kind.value}
        if slot.magnitude_dead and slot.m is not None:
            grads += f", DoRA magnitude {slot.m_param} {slot.m.kind.value}"
            evidence.update(grad_magnitude=slot.m.kind.value, magnitude=slot.m_param or "")
        return self.finding(
            ctx,
            f"{slot.path} (adapter {slot.adapter!r}) gets no gradient ({grads}): {why}; this adapter will not train",
            module=slot.path,
            parameter=slot.b_param,
            adapter=slot.adapter,
            hint=fix,
            evidence=evidence,
        )

    def _magnitudes(self, ctx: RuleContext, adapter: str, slots: list[SlotProbe]) -> Iterator[Finding]:
        """One finding per cause for the DoRA magnitudes of ``adapter`` that get no gradient."""
        for cause, group in _by_cause(slots, lambda s: s.magnitude_cause).items():
            why, fix = CAUSES[cause]
            names = [s.m_param or f"{s.path}.lora_magnitude_vector.{adapter}" for s in group]
            if len(group) == 1:
                subject = f"DoRA magnitude {names[0]} (adapter {adapter!r}) gets no gradient"
            else:
                subject = (f"the DoRA magnitudes of {len(group)} layers of adapter {adapter!r} get no gradient "
                           f"({shorten(names, limit=2)})")
            if cause is not DeadCause.FROZEN:
                why = f"{why}; lora_A and lora_B do get gradient"
            yield self.finding(
                ctx,
                f"{subject}: {why}",
                module=group[0].path,
                parameter=names[0],
                adapter=adapter,
                hint=fix,
                evidence={"cause": cause.value, "count": len(group), "magnitudes": names,
                          "layers": [s.path for s in group]},
            )

    def _grouped(self, ctx: RuleContext, adapter: str, slots: list[SlotProbe]) -> Iterator[Finding]:
        by_cause = _by_cause(slots, lambda s: s.cause)
        for cause, group in by_cause.items():
            why, fix = CAUSES[cause]
            examples = shorten((s.path for s in group), limit=2)
            if len(by_cause) == 1:
                scope = f"none of the {len(group)} layers of adapter {adapter!r} gets gradient"
            else:
                scope = f"{len(group)} of the {len(slots)} layers of adapter {adapter!r} get no gradient"
            yield self.finding(
                ctx,
                f"{scope} ({examples}): {why}; the adapter will not train at all",
                module=group[0].path,
                adapter=adapter,
                hint=fix,
                evidence={"cause": cause.value, "count": len(group), "layers": [s.path for s in group]},
            )


def _by_cause(
    slots: list[SlotProbe], cause_of: Callable[[SlotProbe], DeadCause | None]
) -> dict[DeadCause, list[SlotProbe]]:
    """``slots`` grouped by their cause, in order of first appearance (an unknown cause counts as a zero gradient)."""
    groups: dict[DeadCause, list[SlotProbe]] = {}
    for slot in slots:
        groups.setdefault(cause_of(slot) or DeadCause.ZERO, []).append(slot)
    return groups


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(DeadAdapter)
