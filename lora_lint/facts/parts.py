"""Which part of the model a module belongs to: its towers (vision/language, encoder/decoder) and MoE pieces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lora_lint.facts.model import BaseModule, BaseParameter, ModelFacts

#: child names that make a tower even where the tower is a plain nn.Module (CLIP's text_model, T5-style stacks)
TOWER_NAMES = frozenset(
    {
        "encoder",
        "decoder",
        "vision_model",
        "vision_tower",
        "visual",
        "text_model",
        "language_model",
        "qformer",
        "audio_tower",
        "audio_model",
    }
)
#: name parts of the module that routes tokens to experts (Mixtral "gate", GPT-OSS "router", Qwen's shared gate)
_ROUTER_HINTS = ("gate", "router")
_ROUTER_TYPE_HINTS = ("Router", "Gating")
#: MLP projection leaf names (Llama-style, Mixtral's w1-w3, the fused names): a target naming one meant the MLP,
#: which in an MoE block means the experts
EXPERT_PROJECTIONS = frozenset({"gate_proj", "up_proj", "down_proj", "gate_up_proj", "w1", "w2", "w3", "experts"})


@dataclass(frozen=True)
class Tower:
    """A sub-model that stands on its own: a vision encoder, a language model, an encoder or decoder stack."""

    key: str
    type_name: str

    def holds(self, key: str) -> bool:
        return key == self.key or key.startswith(self.key + ".")

    def __str__(self) -> str:
        return f"{self.key} ({self.type_name})"


@dataclass(frozen=True)
class ModelParts:
    """Towers, MoE routers and fused routed-expert parameters of one base model."""

    towers: tuple[Tower, ...]
    #: module keys of MoE routers (the gate that picks experts, and shared-expert gates)
    routers: tuple[str, ...]
    #: 3-D (or higher) parameters that hold all routed experts of a block at once (transformers 5 fuses them)
    fused_experts: tuple[BaseParameter, ...]
    #: parameters of the MoE routers
    router_parameters: tuple[str, ...]
    total_numel: int

    def tower_of(self, key: str) -> Tower | None:
        return next((t for t in self.towers if t.holds(key)), None)

    def by_tower(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Keys grouped by tower label; keys outside every tower go under "other"."""
        groups: dict[str, list[str]] = {}
        for key in keys:
            tower = self.tower_of(key)
            groups.setdefault(str(tower) if tower else "other", []).append(key)
        return groups

    def router_of(self, key: str) -> str | None:
        """The router a module or parameter key belongs to, if any."""
        return next((r for r in self.routers if key == r or key.startswith(r + ".")), None)

    @property
    def fused_numel(self) -> int:
        return sum(p.numel for p in self.fused_experts)

    @property
    def expert_targets(self) -> list[str]:
        """``target_parameters`` entries that reach every fused expert tensor (``experts.gate_up_proj``)."""
        return sorted({".".join(p.key.split(".")[-2:]) for p in self.fused_experts})


def _towers(modules: tuple[BaseModule, ...]) -> tuple[Tower, ...]:
    """The first level, going down from the root, where two or more towers sit side by side."""
    candidates = [m for m in modules if m.is_submodel or m.key.rsplit(".", 1)[-1] in TOWER_NAMES]
    root = ""
    while True:
        below = [m for m in candidates if root == "" or m.key.startswith(root + ".")]
        top = [m for m in below if not any(o is not m and m.key.startswith(o.key + ".") for o in below)]
        if len(top) >= 2:
            return tuple(Tower(m.key, m.type_name) for m in top)
        if len(top) == 1:
            root = top[0].key
            continue
        return ()


def _is_expert_container(module: BaseModule) -> bool:
    name = module.key.rsplit(".", 1)[-1].lower()
    return "expert" in name or "expert" in module.type_name.lower()


def collect_parts(facts: ModelFacts) -> ModelParts:
    """Read towers and MoE pieces from the base module tree (names, types and parameter shapes only)."""
    modules = {m.key: m for m in facts.base_modules}
    fused = tuple(
        p
        for p in facts.base_parameters
        if len(p.shape) >= 3
        and (m := modules.get(p.module)) is not None
        and not m.adaptable
        and _is_expert_container(m)
    )
    # An MoE block is a module with an "experts" child; its router is a sibling named like a gate.
    blocks = {k.rsplit(".", 1)[0] for k in modules if k.rsplit(".", 1)[-1] == "experts" and "." in k}
    routers = []
    for key, module in modules.items():
        parent, _, name = key.rpartition(".")
        if parent not in blocks or name == "experts" or ("expert" in name and "gate" not in name):
            continue
        if any(h in name.lower() for h in _ROUTER_HINTS) or any(h in module.type_name for h in _ROUTER_TYPE_HINTS):
            routers.append(key)
    router_params = tuple(
        p.key for p in facts.base_parameters if any(p.key == r or p.key.startswith(r + ".") for r in routers)
    )
    return ModelParts(
        towers=_towers(facts.base_modules),
        routers=tuple(routers),
        fused_experts=fused,
        router_parameters=router_params,
        total_numel=sum(p.numel for p in facts.base_parameters),
    )
