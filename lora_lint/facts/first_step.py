"""What one real optimizer step changed: cheap fingerprints taken before it, compared after it.

A fingerprint of a tensor is its sum in float64 and a few values sampled at fixed strides, not a
copy: reading the model twice costs a fraction of one training step and holds no second model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lora_lint.facts.param_kinds import Kind

#: values sampled per tensor besides its sum
_SAMPLES = 8
#: the weights that carry a LoRA layer's output: while ``lora_B`` is zero, a change of ``lora_A`` (weight
#: decay alone moves it) changes nothing the model computes
_OUTPUT_ROLES = frozenset({"lora_B", "lora_embedding_B", "lora_magnitude_vector"})


@dataclass(frozen=True)
class StaleLayer:
    """An adapter layer whose output weights (``lora_B``, a DoRA magnitude; else any trainable weight) did not
    change in the checked step."""

    #: the base model's module key ("model.layers.0.self_attn.q_proj")
    module: str
    adapter: str
    #: the lowest learning rate of the param groups holding its weights; None: no group holds them
    lr: float | None
    #: its weights had a non-zero gradient when the optimizer stepped
    had_grad: bool


@dataclass(frozen=True)
class FirstStepFacts:
    """The first optimizer step with a learning rate above zero, seen through fingerprints."""

    #: the trainer's global step the check ran after (1 = the first optimizer step)
    step: int
    #: learning rate of every param group at that step, in the optimizer's order
    rates: tuple[float, ...]
    #: adapter layers with trainable weights that were checked
    layers: int
    stale: tuple[StaleLayer, ...]
    #: base parameters no config field declares trainable whose values changed
    changed_base: tuple[str, ...]


def group_rates(optimizer: Any) -> tuple[float, ...]:
    """Learning rate per param group (0 where a group has none)."""
    return tuple(float(g.get("lr", 0.0) or 0.0) for g in getattr(optimizer, "param_groups", ()))


def innermost_optimizer(optimizer: Any) -> Any:
    """The torch optimizer under accelerate's (or a similar) wrapper, whose param groups hold the parameters."""
    seen = 0
    while hasattr(optimizer, "optimizer") and seen < 4:  # AcceleratedOptimizer.optimizer, LayerWiseDummy...
        optimizer = optimizer.optimizer
        seen += 1
    return optimizer


def _fingerprint(tensors: list[Any]) -> Any:
    """One row per tensor: its float64 sum and a few sampled values, read back in one transfer."""
    import torch

    rows = []
    for t in tensors:
        flat = t.detach().reshape(-1)
        stride = max(1, flat.numel() // _SAMPLES)
        picked = flat[::stride][:_SAMPLES].to(torch.float64)
        if picked.numel() < _SAMPLES:
            picked = torch.cat([picked, picked.new_zeros(_SAMPLES - picked.numel())])
        rows.append(torch.cat([flat.sum(dtype=torch.float64).reshape(1), picked]))
    if not rows:
        return torch.zeros((0, _SAMPLES + 1), dtype=torch.float64)
    return torch.stack([r.to(rows[0].device) for r in rows]).cpu()


class StepWatch:
    """Fingerprints one model's adapter weights and undeclared base weights around one optimizer step."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        from lora_lint.context import RuleContext, Setup
        from lora_lint.settings import Settings

        facts = RuleContext(Setup(target="<model>", model=model), Settings(probe=False)).params
        tensors = dict(model.named_parameters())
        self._optimizer = innermost_optimizer(optimizer)
        self._adapter = [(p, tensors[p.name]) for p in facts.params if p.kind is Kind.ADAPTER and p.requires_grad]
        # only what the optimizer holds can change in its step: frozen base weights are not read at all
        held = {id(t) for g in getattr(self._optimizer, "param_groups", ()) for t in g.get("params", ())}
        self._base = [(p, tensors[p.name]) for p in facts.params if p.kind is Kind.BASE and id(tensors[p.name]) in held]
        self._before: Any = None
        self._grads: list[bool] = []
        self._lr: dict[int, float] = {}
        self._rates: tuple[float, ...] = ()

    def before(self) -> None:
        """Read the fingerprints, gradients and learning rates the step is about to use."""
        import torch

        self._rates = group_rates(self._optimizer)
        self._lr = {}
        for group, lr in zip(getattr(self._optimizer, "param_groups", ()), self._rates):
            for t in group.get("params", ()):
                self._lr[id(t)] = min(lr, self._lr.get(id(t), lr))
        grads = [t.grad for _, t in self._adapter]
        flags = [torch.count_nonzero(g).reshape(1) if g is not None else torch.zeros(1) for g in grads]
        self._grads = [bool(v) for v in (torch.cat([f.cpu() for f in flags]) if flags else torch.zeros(0)).tolist()]
        self._before = _fingerprint([t for _, t in self._adapter + self._base])

    def after(self, step: int) -> FirstStepFacts:
        """Compare with what :meth:`before` read: which adapter layers stayed, which base weights moved."""
        after = _fingerprint([t for _, t in self._adapter + self._base])
        moved = (after != self._before).any(dim=1).tolist() if after.numel() else []
        n = len(self._adapter)
        layers: dict[tuple[str, str], list[int]] = {}
        for i, (p, _) in enumerate(self._adapter):
            layers.setdefault((p.module, p.adapter or ""), []).append(i)
        stale = []
        for (module, adapter), every in layers.items():
            idx = [i for i in every if self._adapter[i][0].role in _OUTPUT_ROLES] or every
            if any(moved[i] for i in idx):
                continue
            rates = [self._lr[id(self._adapter[i][1])] for i in idx if id(self._adapter[i][1]) in self._lr]
            stale.append(StaleLayer(module, adapter, min(rates) if rates else None, any(self._grads[i] for i in idx)))
        changed = tuple(p.name for (p, _), m in zip(self._base, moved[n:]) if m)
        return FirstStepFacts(step, self._rates, len(layers), tuple(stale), changed)
