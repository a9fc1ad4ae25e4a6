"""LORA107: a ``# lora-lint: ignore`` comment or a per-module-ignores entry that dropped no finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.suppression import Unused


class UnusedSuppression(Rule):
    """
    ## What it does
    Reports a suppression that matched nothing: a `# lora-lint: ignore[...]` comment (on a line, on a
    factory's `def` line, in a YAML config) or a `[tool.lora-lint.per-module-ignores]` entry that dropped
    no finding of the codes it names, and codes in such a comment that are not rule codes at all. A code
    that did not run on the target (not selected, or not applicable) is not counted as unused.

    It sits in the 1xx family beside LORA101 and LORA103, the entries that match nothing: a
    suppression is one more thing you wrote that should match something.

    ## Why is this bad?
    A suppression outlives the problem it silenced: once the config is fixed, the comment stays and
    hides the next real finding of that code on the same line or factory. A misspelt code
    (`ignore[LORA3O1]`) silences nothing while it looks as if it did.

    ## Example
    ```python
    def build():  # lora-lint: ignore[LORA301]   (lora_alpha was fixed since)
        return get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    ```

    ## Use instead
    ```python
    def build():
        return get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    ```

    ## Options
    `ignore = ["LORA107"]` keeps stale suppressions quiet. Per-module-ignores are judged per target: an entry
    for a vision tower is unused on a text-only model checked in the same run.
    """

    code = "LORA107"
    name = "unused-suppression"
    severity = Severity.INFO
    needs = Needs.SUPPRESSIONS
    basis = Basis.CONFIG
    hint = "Remove the suppression, or the codes of it that no longer match a finding."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for unused in ctx.suppressions.unused:
            yield self.finding(
                ctx,
                _message(unused),
                file=unused.directive.location.file,
                line=unused.directive.location.line,
                setting=unused.directive.location.setting,
                evidence={"codes": list(unused.codes), "malformed": list(unused.malformed)},
            )


def _message(unused: Unused) -> str:
    directive = unused.directive
    what = {
        "factory": "the factory's ignore comment",
        "module": f"per-module-ignores {directive.pattern!r}",
    }.get(directive.scope, "this ignore comment")
    parts = []
    if not directive.codes:
        parts.append(f"{what} matched no finding")
    elif unused.codes:
        parts.append(f"{what} matched no finding of {', '.join(unused.codes)}")
    if unused.malformed:
        parts.append(f"{', '.join(unused.malformed)} is not a rule code (LORA301, or a prefix like LORA3)")
    return "; ".join(parts)


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(UnusedSuppression)
