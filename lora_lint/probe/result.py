"""The probe's frozen snapshot: loss, per-adapter gradients, base-parameter gradients, non-finite flags."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class GradKind(enum.Enum):
    """What one tensor's gradient looked like after the probe's backward pass."""

    #: ``.grad`` stayed None: autograd never reached the tensor
    NONE = "none"
    #: a gradient arrived and is exactly zero everywhere
    ZERO = "zero"
    FINITE = "finite"
    #: NaN or Inf somewhere in the gradient
    NONFINITE = "nonfinite"


@dataclass(frozen=True)
class Grad:
    """A gradient summarised by its kind and L2 norm (computed in float32)."""

    kind: GradKind
    norm: float | None = None

    @property
    def dead(self) -> bool:
        return self.kind in (GradKind.NONE, GradKind.ZERO)


ABSENT = Grad(GradKind.NONE)


class DeadCause(enum.Enum):
    """Why an adapter got no gradient, as far as the forward hooks could see."""

    #: the forward never called the layer
    NOT_CALLED = "not-called"
    #: called only with grad disabled, inside reentrant activation checkpointing (no input required grad)
    CHECKPOINT = "reentrant-checkpointing"
    #: called only with grad disabled, outside checkpointing: torch.no_grad()/inference_mode in the forward
    NO_GRAD = "no-grad"
    #: called with grad, but the output did not depend on the adapter (disabled or merged at run time)
    BYPASSED = "bypassed"
    #: the output depended on the adapter, but no gradient came back: detached or unused by the loss
    DETACHED = "detached"
    #: a gradient arrived and is exactly zero
    ZERO = "zero-gradient"
    #: the tensor has requires_grad=False (a DoRA magnitude frozen while its layer's lora_A/lora_B train)
    FROZEN = "frozen"
    #: an aLoRA adapter whose invocation tokens no row of the batch holds: peft applies it to no token
    NOT_INVOKED = "alora-not-invoked"


#: Causes that sit in the adapter layers themselves: they name the problem even when they detach the
#: whole loss (LORA401 reports them; a loss detached for any other reason is LORA402's).
ADAPTER_CAUSES = frozenset({DeadCause.CHECKPOINT, DeadCause.BYPASSED, DeadCause.NOT_INVOKED})


@dataclass(frozen=True)
class LayerTrace:
    """What a forward hook on one LoRA layer saw during the probe (recomputation included)."""

    calls: int = 0
    #: calls made while autograd was recording
    grad_calls: int = 0
    input_requires_grad: bool = False
    output_requires_grad: bool = False


@dataclass(frozen=True)
class SlotProbe:
    """One adapter on one LoRA layer: the gradients of its ``lora_A`` and ``lora_B``."""

    #: key relative to the base model, as in ``LayerFacts``
    layer: str
    #: full module path in the user's model
    path: str
    adapter: str
    a: Grad
    b: Grad
    #: with the standard init ``lora_B == 0``, and then ``lora_A``'s gradient is zero by construction
    b_is_zero: bool | None
    trace: LayerTrace
    #: "reentrant" / "non-reentrant" when an enclosing module checkpoints its activations
    checkpointing: str | None = None
    #: full parameter names of lora_A and lora_B (as ``model.named_parameters()`` shows them)
    a_param: str | None = None
    b_param: str | None = None
    #: embedding adapters start the other way round: ``lora_embedding_A == 0``, B random
    a_is_zero: bool | None = None
    #: in a process group: the ranks on which this adapter took part in autograd and got gradient
    ranks_with_grad: tuple[int, ...] | None = None
    #: a DoRA adapter's magnitude vector: its gradient, full name and requires_grad (None/False without DoRA)
    m: Grad | None = None
    m_param: str | None = None
    m_requires_grad: bool = False
    #: an aLoRA adapter whose invocation sequence no row of the given batch holds
    uninvoked: bool = False

    @property
    def a_expected_zero(self) -> bool:
        """``dL/dA = scale * B^T (...)`` is exactly zero while ``B`` is zero: expected before the first step."""
        return bool(self.b_is_zero) and not self.a_is_zero and self.a.kind is GradKind.ZERO and not self.b.dead

    @property
    def b_expected_zero(self) -> bool:
        """``dL/dB = scale * (...) (A x)^T`` is exactly zero while ``A`` is zero (embedding adapters)."""
        return bool(self.a_is_zero) and not self.b_is_zero and self.b.kind is GradKind.ZERO and not self.a.dead

    @property
    def dead(self) -> bool:
        """No usable gradient where LoRA maths says there must be one.

        One matrix starts at zero, so the other one's gradient is zero on the first pass; the zero
        one must still get gradient. Both at zero is a saddle the adapter never leaves.
        """
        a_ok = not self.a.dead or self.a_expected_zero
        b_ok = not self.b.dead or self.b_expected_zero
        return not (a_ok and b_ok)

    @property
    def magnitude_dead(self) -> bool:
        """A DoRA magnitude that gets no gradient: it scales every output column and always must."""
        return self.m is not None and self.m.dead

    @property
    def magnitude_cause(self) -> DeadCause | None:
        """Why the magnitude gets no gradient: frozen by itself, or whatever kept the whole layer dead."""
        if not self.magnitude_dead or self.m is None:
            return None
        if not self.m_requires_grad:
            return DeadCause.FROZEN
        if self.dead:
            return self.cause
        return DeadCause.DETACHED if self.m.kind is GradKind.NONE else DeadCause.ZERO

    @property
    def nonfinite(self) -> bool:
        kinds = (self.a.kind, self.b.kind, self.m.kind if self.m is not None else GradKind.NONE)
        return GradKind.NONFINITE in kinds

    @property
    def cause(self) -> DeadCause | None:
        """The likeliest reason this slot is dead, from what its forward hook saw."""
        if not self.dead:
            return None
        if self.trace.calls == 0:
            return DeadCause.NOT_CALLED
        if self.trace.grad_calls == 0:
            return DeadCause.CHECKPOINT if self.checkpointing == "reentrant" else DeadCause.NO_GRAD
        if self.uninvoked:
            return DeadCause.NOT_INVOKED
        if not self.trace.output_requires_grad:
            return DeadCause.BYPASSED
        if GradKind.NONE in (self.a.kind, self.b.kind):
            return DeadCause.DETACHED
        return DeadCause.ZERO


@dataclass(frozen=True)
class ParamProbe:
    """A trainable parameter that is not a LoRA ``A``/``B`` matrix (head, embeddings, a leaked base weight)."""

    name: str
    grad: Grad


@dataclass(frozen=True)
class ProbeResult:
    """Everything one forward and backward pass showed; rules read it, nothing here judges."""

    device: str
    #: e.g. "input_ids[2, 8] int64, attention_mask[2, 8] int64, labels[2, 8] int64"
    batch: str
    #: "user", "synthetic", or None when no inputs could be built
    batch_source: str | None
    loss: float | None = None
    #: "model" (the model's own loss) or "surrogate" (mean of squares of the floating-point outputs)
    loss_source: str | None = None
    loss_requires_grad: bool = False
    #: why no loss (or no backward) came out, e.g. "cannot build inputs for MLP: ..."
    failure: str | None = None
    #: "inputs", "forward", "loss" or "backward"
    failure_stage: str | None = None
    slots: tuple[SlotProbe, ...] = ()
    params: tuple[ParamProbe, ...] = ()
    #: floating-point outputs that hold NaN/Inf, by name ("logits", "hidden_states[1]")
    nonfinite_outputs: tuple[str, ...] = ()
    #: weights holding NaN/Inf (looked for only when something came out non-finite)
    nonfinite_weights: tuple[str, ...] = ()
    #: the synthetic batch fed only part of the model (token ids for a model that also reads images)
    batch_partial: bool = False
    #: how many processes ran the probe together (their results are combined here)
    world_size: int = 1

    @property
    def loss_computed(self) -> bool:
        return self.loss is not None

    @property
    def nonfinite_loss(self) -> bool:
        return self.loss is not None and not _finite(self.loss)

    @property
    def nonfinite_grads(self) -> tuple[str, ...]:
        """Names of tensors whose gradient holds NaN/Inf (``layer [adapter] lora_B`` for adapters)."""
        names: list[str] = []
        for s in self.slots:
            parts = [("lora_A", s.a, s.a_param), ("lora_B", s.b, s.b_param)]
            if s.m is not None:
                parts.append(("lora_magnitude_vector", s.m, s.m_param))
            for part, grad, name in parts:
                if grad.kind is GradKind.NONFINITE:
                    names.append(name or f"{s.path}.{part}.{s.adapter}")
        names.extend(p.name for p in self.params if p.grad.kind is GradKind.NONFINITE)
        return tuple(names)

    @property
    def dead_slots(self) -> tuple[SlotProbe, ...]:
        return tuple(s for s in self.slots if s.dead)

    def unreached(self, slot: SlotProbe) -> bool:
        """Never called, but the batch fed only part of the model: no evidence either way."""
        return self.batch_partial and slot.cause is DeadCause.NOT_CALLED

    def slot(self, layer: str, adapter: str) -> SlotProbe | None:
        for s in self.slots:
            if s.layer == layer and s.adapter == adapter:
                return s
        return None


def _finite(value: float) -> bool:
    return math.isfinite(value)
