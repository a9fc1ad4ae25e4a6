"""LORA102: a target_modules string or list entry that peft reads differently from how it looks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.facts.target_misuse import Misuse
from lora_lint.facts.targeting import EntryMatch
from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class TargetRegexMisuse(Rule):
    """
    ## What it does
    Reports a `target_modules` given as one string that looks like a plain name (`"q_proj"`,
    `"q_proj|v_proj"`, `"q_proj,v_proj"`), a string regex that matches only part of a module path, and a
    list entry that holds regex characters (`".*q_proj"`). A full-path regex string that matches
    (`r".*\\.(q_proj|v_proj)"`) and `"all-linear"` are fine.

    ## Why is this bad?
    peft reads the two forms differently. A single string is a regex that must match the *whole* module
    path (`re.fullmatch` against `model.layers.0.self_attn.q_proj`), so `"q_proj"` matches nothing. A
    list entry is matched literally by whole dotted name components, so `".*q_proj"` in a list matches
    nothing either. Either way the layers you meant get no adapter.

    ## Example
    ```python
    LoraConfig(target_modules="q_proj|v_proj")
    LoraConfig(target_modules=["v_proj", ".*q_proj"])
    ```

    ## Use instead
    ```python
    LoraConfig(target_modules=["q_proj", "v_proj"])
    LoraConfig(target_modules=r".*\\.(q_proj|v_proj)")
    ```

    ## References
    - peft `check_target_module_exists` and `match_target_against_key` (`re.fullmatch` for a string)
    """

    code = "LORA102"
    name = "target-regex-misuse"
    severity = Severity.ERROR
    needs = Needs.CONFIG
    basis = Basis.CONFIG
    hint = "Give a list of module names, or one regex that matches whole module paths."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for adapter, facts in ctx.targeting.items():
            for entry in facts.field_entries("target_modules"):
                if entry.misuse is not None:
                    yield self._finding(ctx, adapter, entry, entry.misuse)

    def _finding(self, ctx: RuleContext, adapter: str, entry: EntryMatch, misuse: Misuse) -> Finding:
        text = entry.entry
        shown = _show(text)
        example = next(iter(misuse.reaches), None)
        seen = f" (e.g. {example!r})" if example else ""
        names = list(misuse.names)
        fixes = []
        if misuse.kind == "invalid-regex":
            message = f"target_modules {shown} is not a valid regex ({misuse.error}); peft raises re.error on it"
        elif misuse.kind == "plain-name-string":
            if text.strip().lower().replace("_", "-").replace(" ", "-") == "all-linear":
                message = f"target_modules {shown} is not peft's 'all-linear' shorthand; as a regex it matches nothing"
                names = []
                misuse = Misuse(misuse.kind, (), (), None)
                fixes.append("target_modules='all-linear'")
            else:
                message = (
                    f"target_modules {shown} is one string, which peft full-matches as a regex against whole "
                    f"module paths{seen}, so it matches no module"
                )
        elif misuse.kind == "partial-regex-string":
            message = (
                f"target_modules regex {shown} matches only part of the module paths{seen}; peft full-matches a "
                "string against the whole path, so it matches no module"
            )
        else:
            message = (
                f"target_modules entry {shown} holds regex characters, but peft matches list entries literally "
                "(by whole dotted name), so it matches no module"
            )
            if misuse.error:
                message += f" (and it is not a valid regex: {misuse.error})"
        known = [n for n in names if n not in dict(misuse.unknown)]
        siblings = [e for e in ctx.targeting[adapter].field_entries("target_modules") if e is not entry]
        if misuse.kind == "regex-in-list" and known:
            # the whole corrected list: the good entries, and every regex entry read as the names it meant
            fixed = {e.entry for e in siblings if e.misuse is None}
            for e in (entry, *siblings):
                if e.misuse is not None:
                    fixed.update(n for n in e.misuse.names if n not in dict(e.misuse.unknown))
            known = sorted(fixed)
        if known:
            fixes.append(f"target_modules={known!r}")
        if misuse.regex and not siblings:
            fixes.append(f"target_modules={_show(misuse.regex, raw=True)}")
        hint = ("Use " + " or ".join(fixes) + ".") if fixes else self.hint
        for name, closest in misuse.unknown:
            hint += f" {name!r} names no module" + (f" (closest: {', '.join(closest)})." if closest else ".")
        return self.finding(
            ctx,
            message,
            setting=f"target_modules: {shown}",
            adapter=adapter,
            hint=hint,
            evidence={
                "entry": text,
                "kind": misuse.kind,
                "names": list(misuse.names),
                "would_reach": list(misuse.reaches),
                "regex": misuse.regex,
                "unknown": {n: list(c) for n, c in misuse.unknown},
            },
        )


def _show(text: str, raw: bool = False) -> str:
    """A regex as the user would write it: a raw string when it holds backslashes."""
    if (raw or "\\" in text) and "'" not in text:
        return f"r'{text}'"
    return repr(text)


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(TargetRegexMisuse)
