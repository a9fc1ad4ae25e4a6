"""LORA104: a modules_to_save entry that wraps more than the one module it names, or a LoRA target too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lora_lint.facts.targeting import EntryMatch, TargetingFacts
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class ModulesToSaveOvermatch(Rule):
    """
    ## What it does
    Reports a `modules_to_save` entry that wraps several modules, or a module whose name only ends with
    the entry (`head` wraps `lm_head`, `norm` wraps every `input_layernorm`), or a module that
    `target_modules` also names. It lists the modules wrapped. Where no spelling can wrap the intended
    module alone (DistilBERT's `classifier` also takes `pre_classifier`), or where peft added the entry
    itself for the task type, it is info.

    ## Why is this bad?
    peft wraps every module whose path *ends with* the entry, as a plain string. Each wrapped module
    trains in full and is saved in full beside the adapter: more memory, a bigger file, and layers
    trained you did not mean to touch. A module in both lists silently loses its LoRA adapter and is
    trained in full instead.

    ## Example
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["head", "norm"])
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head", "model.norm"])
    ```

    ## References
    - peft `_set_trainable` (`key.endswith(entry)`) and `check_target_module_exists` (modules to save are
      never LoRA targets)
    """

    code = "LORA104"
    name = "modules-to-save-overmatch"
    severity = Severity.WARNING
    needs = Needs.CONFIG | Needs.BASE
    basis = Basis.STRUCTURE
    hint = "Name exactly the module to train in full, by a longer path if the short name is shared."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, facts in ctx.targeting.items():
            for entry in facts.field_entries("modules_to_save"):
                finding = self._judge(ctx, adapter, entry, facts)
                if finding is not None:
                    yield finding

    def _judge(self, ctx: RuleContext, adapter: str, entry: EntryMatch, facts: TargetingFacts) -> Finding | None:
        text = entry.entry
        exact = [k for k in entry.matches if k == text or k.endswith("." + text)]
        partial = [k for k in entry.matches if k not in exact]
        overlap = sorted(facts.named_targets.intersection(entry.matches))
        if not overlap and not partial:
            return None  # every module wrapped bears the entry as its whole name: what the entry asks for
        spellings = dict(entry.spellings)
        parts = []
        if len(exact) > 1:
            parts.append(f"{plural(len(exact), 'module')} named {text!r} ({_few(exact)})")
        elif exact:
            parts.append(exact[0])
        if partial:
            parts.append(f"{_few(partial)} (whose name{'s only end' if len(partial) > 1 else ' only ends'} with {text!r})")
        wraps = " and ".join(parts)
        size = sum(ctx.model.numel_under(k) for k in entry.matches)
        message = (
            f"modules_to_save entry {text!r} wraps {wraps}: {'each' if len(entry.matches) > 1 else 'it'} trains "
            "in full and is saved with the adapter "
            f"({size:,} weights in all)"
        )
        severity = None
        meant = exact or partial
        alone = [tail for k in meant if (tail := spellings.get(k))]
        hint = f"Use {sorted(set(alone))!r} to wrap only the {'module' if len(set(alone)) == 1 else 'modules'} you mean." if alone else self.hint
        if len(exact) > 1 and not partial and alone:
            hint = f"To wrap one of them, name it by a longer path (e.g. {alone[0]!r}); to wrap all, keep the entry."
        if overlap and not (partial or len(entry.matches) > 1):
            message = f"modules_to_save entry {text!r} wraps {_few(overlap)}, which target_modules also matches: "
            if facts.saved_never_targets:
                message += "peft trains it in full and gives it no LoRA adapter"
                severity = Severity.INFO
            else:
                message += "it gets both a LoRA layer and a full trainable copy, which conflict"
            hint = f"Remove {text!r} from modules_to_save or from target_modules, whichever you did not mean."
        elif overlap:
            message += f"; {_few(overlap)} also matched by target_modules {verb(len(overlap), 'gets')} no LoRA adapter"
        elif entry.from_default:
            message += " (peft adds this entry itself for the task type)"
            severity = Severity.INFO
        elif not alone:
            message += f" (no modules_to_save spelling wraps {meant[0]} alone)"
            hint = "Nothing to change if training these modules in full is intended; peft matches by name suffix."
            severity = Severity.INFO
        return self.finding(
            ctx,
            message,
            setting=f"modules_to_save: {text!r}",
            adapter=adapter,
            hint=hint,
            severity=severity,
            evidence={"entry": text, "wraps": list(entry.matches), "suffix_only": partial, "overlap": overlap,
                      "unique_spellings": spellings, "weights": size},
        )


def _few(keys: Sequence[str], limit: int = 3) -> str:
    return shorten(keys, limit)


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(ModulesToSaveOvermatch)
