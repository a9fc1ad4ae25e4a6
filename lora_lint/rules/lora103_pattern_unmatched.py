"""LORA103: a modules_to_save / exclude_modules entry, pattern key or layer index that matches nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.target_misuse import is_regex
from lora_lint.facts.targeting import EntryMatch, TargetingFacts
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext

_FIELDS = ("modules_to_save", "exclude_modules", "rank_pattern", "alpha_pattern", "layers_to_transform", "target_parameters")
_EFFECT = {
    "modules_to_save": "no module is trained in full or saved with the adapter from it",
    "exclude_modules": "it excludes nothing",
    "rank_pattern": "those layers keep the default r",
    "alpha_pattern": "those layers keep the default lora_alpha",
    "target_parameters": "no parameter gets an adapter from it",
}


class PatternUnmatched(Rule):
    """
    ## What it does
    Reports entries of `modules_to_save` and `exclude_modules`, keys of `rank_pattern` and
    `alpha_pattern`, `target_parameters` entries and `layers_to_transform` indexes that match nothing in
    the base model (an index beyond the model's depth says the depth). Entries peft adds by itself (the
    task head for `SEQ_CLS`, `TOKEN_CLS`, `QUESTION_ANS`) are never reported.

    ## Why is this bad?
    peft ignores these silently: the head you meant to train stays frozen and unsaved, the layer you
    meant to exclude gets an adapter, the per-layer rank or alpha you set never applies.

    ## Example
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm-head"], rank_pattern={"q_prj": 16},
               layers_to_transform=[30, 31])  # a 2-layer model
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"], rank_pattern={"q_proj": 16},
               layers_to_transform=[0, 1])
    ```

    ## References
    - peft `_set_trainable` (suffix match), `get_pattern_key`, `check_target_module_exists`
    """

    code = "LORA103"
    name = "pattern-unmatched"
    severity = Severity.WARNING
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.STRUCTURE
    hint = "Use a name that exists in the model, or remove the entry."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, facts in ctx.targeting.items():
            if facts.cannot_verify is not None:
                continue
            for field in _FIELDS:
                for entry in facts.field_entries(field):
                    if entry.from_default or (entry.adaptable if field != "modules_to_save" else entry.matches):
                        continue
                    yield self._unmatched(ctx, adapter, facts, entry)

    def _unmatched(self, ctx: RuleContext, adapter: str, facts: TargetingFacts, entry: EntryMatch) -> Finding:
        field, text = entry.field, entry.entry
        hint = f"Closest real names: {', '.join(entry.closest)}." if entry.closest else self.hint
        evidence: dict[str, object] = {"field": field, "entry": text, "closest": list(entry.closest)}
        if field == "layers_to_transform":
            depth = ctx.model.num_hidden_layers
            if depth is not None and int(text) >= depth:
                message = f"layers_to_transform index {text} is beyond the model's {depth} layers (0-{depth - 1})"
                hint = f"Use indexes 0 to {depth - 1}."
            else:
                pattern = getattr(facts.config, "layers_pattern", None)
                message = f"layers_to_transform index {text} selects no targeted module (layers_pattern={pattern!r})"
                hint = "Set layers_pattern to the name of the model's layer list (e.g. 'layers', 'h', 'block')."
            evidence["depth"] = depth
        elif field in ("rank_pattern", "alpha_pattern"):
            message = f"{field} key {text!r} matches no targeted layer; {_EFFECT[field]}"
            if not entry.closest:
                hint = "Use a key that ends a targeted module's path, e.g. " + _example(facts) + "."
        else:
            what = "matches no module" if field != "target_parameters" else "matches no parameter"
            if entry.matches and field == "exclude_modules":
                what = "matches only modules LoRA cannot adapt"
            message = f"{field} entry {text!r} {what} of {ctx.model.architecture or 'the model'}; {_EFFECT[field]}"
            if field in ("exclude_modules", "modules_to_save") and is_regex(text) and entry.misuse is None:
                message += f" ({field} list entries are matched literally, not as regexes)"
            elif entry.misuse is not None and entry.misuse.reaches:
                if entry.misuse.kind == "regex-in-list":
                    message += " (list entries are matched literally, not as regexes)"
                else:
                    message += " (a single string is full-matched as a regex against whole module paths)"
                hint = f"Use {list(entry.misuse.names)!r}" + (f" or r{entry.misuse.regex!r}." if entry.misuse.regex else ".")
        return self.finding(ctx, message, setting=f"{field}: {text!r}", adapter=adapter, hint=hint, evidence=evidence)


def _example(facts: TargetingFacts) -> str:
    leaves = sorted({k.rsplit(".", 1)[-1] for k in facts.targeted})
    return ", ".join(repr(n) for n in leaves[:3]) or "'q_proj'"


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(PatternUnmatched)
