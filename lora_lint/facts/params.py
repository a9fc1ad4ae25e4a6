"""Parameter facts: every parameter classified as adapter, declared-trainable or base; optimizer membership; nesting."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lora_lint.context import Setup
    from lora_lint.facts.heads import HeadFact, VocabFacts
    from lora_lint.facts.layers import LayerFacts
    from lora_lint.facts.model import ModelFacts

#: Path segments peft inserts when it wraps a module; dropped to show the base model's own key.
_WRAPPER_SEGMENTS = frozenset({"base_layer", "original_module", "token_adapter"})


class Kind(enum.Enum):
    """What a parameter is, from peft's point of view."""

    #: a weight of a LoRA adapter (lora_A/B, lora_embedding_A/B, DoRA magnitude)
    ADAPTER = "adapter"
    #: a base weight the config declares trainable (modules_to_save copy, bias, trainable tokens)
    DECLARED = "declared"
    #: everything else: meant to stay frozen
    BASE = "base"


@dataclass(frozen=True)
class ParamFact:
    """One parameter (tied parameters counted once, under their first name)."""

    #: full name as ``model.named_parameters()`` shows it
    name: str
    #: the owning module's key in the base model, peft's wrappers seen through ("model.layers.0.self_attn.q_proj")
    module: str
    kind: Kind
    #: lora_A, lora_B, lora_embedding_A, lora_embedding_B, lora_magnitude_vector, modules_to_save, bias,
    #: trainable_tokens, or base
    role: str
    adapter: str | None
    requires_grad: bool
    numel: int
    #: None when the setup has no optimizer
    in_optimizer: bool | None


@dataclass(frozen=True)
class OptimizerFacts:
    type_name: str
    #: tensors in its param groups
    tensors: int
    #: tensors in its param groups that are not parameters of this model
    foreign: int


@dataclass(frozen=True)
class ParamFacts:
    params: tuple[ParamFact, ...]
    heads: tuple[HeadFact, ...]
    vocab: VocabFacts | None
    optimizer: OptimizerFacts | None
    #: "4-bit" / "8-bit" when the base is quantized with bitsandbytes
    quantized: str | None
    #: transformers' enable_input_require_grads hook is on the base (prepare_model_for_kbit_training adds it)
    input_grad_hook: bool
    #: paths where a PeftModel (or tuner) sits inside another one, or a LoRA layer wraps a LoRA layer
    nested: tuple[str, ...]
    #: keys of LoRA layers the model's tuner did not inject (the tree already held them when wrapped again)
    unowned_layers: tuple[str, ...]
    #: the user's model is in train mode (PeftModel.from_pretrained leaves it in eval mode without is_trainable)
    training: bool = True
    #: peft_type of every config on the model ("LORA", "IA3", "PROMPT_TUNING", ...)
    peft_methods: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[ParamFact]:
        return iter(self.params)

    def of(self, kind: Kind) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.kind is kind)

    @property
    def leaked(self) -> tuple[ParamFact, ...]:
        """Trainable base parameters that no config field declares."""
        return tuple(p for p in self.params if p.kind is Kind.BASE and p.requires_grad)

    @property
    def trainable(self) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.requires_grad)

    def adapter_params(self, adapter: str | None = None) -> tuple[ParamFact, ...]:
        return tuple(p for p in self.params if p.kind is Kind.ADAPTER and (adapter is None or p.adapter == adapter))

    @property
    def trainable_adapters(self) -> tuple[str, ...]:
        """Adapters with at least one trainable LoRA weight."""
        seen: dict[str, None] = {}
        for p in self.params:
            if p.kind is Kind.ADAPTER and p.requires_grad and p.adapter is not None:
                seen.setdefault(p.adapter)
        return tuple(seen)


def base_key(path: str, base_prefix: str) -> str:
    """The module key in the base model: strip the PeftModel prefix and peft's wrapper segments."""
    if base_prefix and path.startswith(base_prefix):
        path = path[len(base_prefix) :]
    parts = path.split(".") if path else []
    out: list[str] = []
    skip = 0
    for part in parts:
        if skip:
            skip -= 1
            continue
        if part == "modules_to_save":  # modules_to_save.<adapter>
            skip = 1
            continue
        if part not in _WRAPPER_SEGMENTS:
            out.append(part)
    return ".".join(out)


def _prefix_of(model: Any, base: Any) -> str:
    for path, module in model.named_modules():
        if module is base:
            return f"{path}." if path else ""
    return ""


def _bias_modes(facts: ModelFacts) -> set[str]:
    # peft applies the `bias` setting of the active adapters (BaseTuner._mark_only_adapters_as_trainable)
    names = facts.active_adapters or tuple(facts.configs)
    return {str(getattr(facts.configs[n], "bias", "none")) for n in names if n in facts.configs}


def _classify(model: Any, facts: ModelFacts) -> list[tuple[str, str, Kind, str, str | None, Any]]:
    """(name, module path, kind, role, adapter, tensor) for every parameter, by peft's own markers."""
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils.other import AuxiliaryTrainingWrapper, ModulesToSaveWrapper

    bias_modes = _bias_modes(facts)
    seen: set[int] = set()
    out: list[tuple[str, str, Kind, str, str | None, Any]] = []

    def add(path: str, name: str, p: Any, kind: Kind, role: str, adapter: str | None, owner: str | None = None) -> None:
        if id(p) in seen:
            return
        seen.add(id(p))
        full = f"{path}.{name}" if path else name
        lora_base = role == "lora_base"
        role = "base" if lora_base else role
        if kind is Kind.BASE and name == "bias" and ("all" in bias_modes or (lora_base and "lora_only" in bias_modes)):
            kind, role = Kind.DECLARED, "bias"
        out.append((full, path if owner is None else owner, kind, role, adapter, p))

    def adapter_slots(module: Any, path: str, kind: Kind, role_of: Any, names: tuple[str, ...] = ()) -> set[str]:
        # peft marker: `adapter_layer_names` lists the attributes holding per-adapter trainable weights
        claimed: set[str] = set()
        for attr in getattr(module, "adapter_layer_names", None) or names:
            container = module
            for part in attr.split("."):
                container = getattr(container, part, None)
            if container is None or not hasattr(container, "items"):
                continue
            claimed.add(attr.split(".")[0])
            for adapter, sub in container.items():
                sub_path = f"{path}.{attr}"
                if hasattr(sub, "named_parameters"):
                    for n, p in sub.named_parameters():
                        add(f"{sub_path}.{adapter}", n, p, kind, role_of(attr), adapter, owner=path)
                else:
                    add(sub_path, adapter, sub, kind, role_of(attr), adapter, owner=path)
        return claimed

    def walk(module: Any, path: str, role: str) -> None:
        claimed: set[str] = set()
        if isinstance(module, ModulesToSaveWrapper):
            # peft 0.17's ModulesToSaveWrapper declares no adapter_layer_names; its copies live in `modules_to_save`
            claimed = adapter_slots(module, path, Kind.DECLARED, lambda a: "modules_to_save", ("modules_to_save",))
        elif isinstance(module, AuxiliaryTrainingWrapper):
            # TrainableTokensWrapper: its token_adapter is a tuner layer whose deltas are declared, not LoRA;
            # they are classified here first, so the walk below finds them already seen
            for name, child in module.named_children():
                if isinstance(child, BaseTunerLayer):
                    adapter_slots(child, f"{path}.{name}", Kind.DECLARED, lambda a: "trainable_tokens")
        elif isinstance(module, BaseTunerLayer):
            claimed = adapter_slots(module, path, Kind.ADAPTER, lambda a: a.split(".")[-1])
            # bias="lora_only" covers the biases of LoRA layers only (peft checks its tuner_layer_cls)
            role = "lora_base" if isinstance(module, LoraLayer) else "base"
        for name, p in module.named_parameters(recurse=False):
            add(path, name, p, Kind.BASE, role, None)
        for name, child in module.named_children():
            if name in claimed:
                continue
            child_role = role if (role == "lora_base" and name == "base_layer") else "base"
            walk(child, f"{path}.{name}" if path else name, child_role)

    walk(model, "", "base")
    return out


def _peft_methods(model: Any) -> tuple[str, ...]:
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping):
        return ()
    kinds = (getattr(c, "peft_type", None) for c in configs.values())
    return tuple(dict.fromkeys(str(getattr(k, "value", k)) for k in kinds if k is not None))


def _optimizer_ids(optimizer: Any) -> list[int] | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        return None
    return [id(p) for g in groups for p in g.get("params", ())]


def _quantized(base: Any) -> str | None:
    if getattr(base, "is_loaded_in_4bit", False):
        return "4-bit"
    if getattr(base, "is_loaded_in_8bit", False):
        return "8-bit"
    return None


def _peft_containers(model: Any) -> tuple[str, ...]:
    """Paths of PeftModels/tuners below the outermost one (a PeftModel and its own tuner count as one)."""
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTuner, BaseTunerLayer

    containers: list[str] = []
    found: list[str] = []
    modules = dict(model.named_modules(remove_duplicate=False))
    for path, module in modules.items():
        if isinstance(module, (PeftModel, BaseTuner)):
            parent = modules.get(path.rpartition(".")[0]) if path else None
            if isinstance(module, BaseTuner) and isinstance(parent, PeftModel) and parent.base_model is module:
                continue
            containers.append(path)
        elif (
            isinstance(module, LoraLayer)
            and isinstance(getattr(module, "base_layer", None), BaseTunerLayer)
            # peft stacks one ParamWrapper per entry of target_parameters on the same module, by design
            and not (_is_param_wrapper(module) and _is_param_wrapper(module.base_layer))
        ):
            found.append(f"{path}.base_layer")
    return tuple(containers[1:] + found)


def _is_param_wrapper(module: Any) -> bool:
    from peft.tuners.lora import layer

    wrapper = getattr(layer, "ParamWrapper", None)  # peft >= 0.17 (target_parameters)
    return wrapper is not None and isinstance(module, wrapper)


def _unowned_layers(model: Any, base_prefix: str) -> tuple[str, ...]:
    # peft internal: BaseTuner.targeted_module_names lists every key the tuner injected (across add/load_adapter)
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTuner

    tuner = next((m for m in model.modules() if isinstance(m, BaseTuner)), None)
    owned = set(getattr(tuner, "targeted_module_names", ()) or ()) if tuner is not None else set()
    owned |= {n.rpartition(".")[0] for n in getattr(tuner, "targeted_parameter_names", ()) or ()}
    if tuner is None or not owned:
        return ()
    tuner_prefix = _prefix_of(model, tuner.model)
    return tuple(
        key
        for path, m in model.named_modules()
        if isinstance(m, LoraLayer)
        and path.startswith(tuner_prefix)
        and (key := path[len(tuner_prefix) :]) not in owned
        and base_key(path, base_prefix) not in owned
    )


def collect_params(setup: Setup, model_facts: ModelFacts, layer_facts: LayerFacts) -> ParamFacts:
    """Classify every parameter of the user's model once; rules read the result, never the model."""
    from lora_lint.facts.heads import collect_heads, collect_vocab

    model = setup.model
    if model is None:
        return ParamFacts((), (), None, None, None, False, (), ())
    base = model_facts.base if model_facts.base is not None else model
    prefix = _prefix_of(model, base)
    opt_ids = _optimizer_ids(setup.optimizer) if setup.optimizer is not None else None
    opt_set = set(opt_ids) if opt_ids is not None else None
    params: list[ParamFact] = []
    tensors: dict[str, Any] = {}
    for name, path, kind, role, adapter, p in _classify(model, model_facts):
        tensors[name] = p
        params.append(
            ParamFact(
                name=name,
                module=base_key(path, prefix),
                kind=kind,
                role=role,
                adapter=adapter,
                requires_grad=bool(p.requires_grad),
                numel=int(p.numel()),
                in_optimizer=None if opt_set is None else id(p) in opt_set,
            )
        )
    optimizer = None
    if setup.optimizer is not None and opt_ids is not None:
        model_ids = {id(p) for p in tensors.values()}
        optimizer = OptimizerFacts(
            type(setup.optimizer).__name__, len(opt_ids), sum(1 for i in set(opt_ids) if i not in model_ids)
        )
    return ParamFacts(
        params=tuple(params),
        heads=collect_heads(model, base, prefix),
        vocab=collect_vocab(model, base, prefix, model_facts),
        optimizer=optimizer,
        quantized=_quantized(base),
        input_grad_hook=getattr(base, "_require_grads_hook", None) is not None,
        nested=_peft_containers(model),
        unowned_layers=_unowned_layers(model, prefix),
        training=bool(getattr(model, "training", True)),
        peft_methods=_peft_methods(model),
    )


def group_key(module: str) -> str:
    """A module key with layer indices folded (``model.layers.*.mlp``), to group repeated layers."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)", "*", module)


def count_by(params: tuple[ParamFact, ...], key: Any) -> Mapping[str, tuple[int, int]]:
    """key -> (tensors, elements), in first-seen order."""
    out: dict[str, tuple[int, int]] = {}
    for p in params:
        k = key(p)
        t, n = out.get(k, (0, 0))
        out[k] = (t + 1, n + p.numel)
    return out
