"""LORA603: saved adapter tensors that disagree with adapter_config.json or with the base model's layers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lora_lint.findings import Basis, Finding, Severity
from lora_lint.hookspecs import RegisterRule
from lora_lint.plugins import hookimpl
from lora_lint.rules._base import Needs, Rule
from lora_lint.text import shorten
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import RuleContext


class AdapterShapeMismatch(Rule):
    """
    ## What it does
    Checks the header of a saved adapter against its `adapter_config.json`: every `lora_A`/`lora_B`
    pair must have the rank `r` (or its `rank_pattern` entry) gives that layer, and every saved layer
    must be one `target_modules` selects. With `--model` it also checks the factors against the base
    model's layer sizes and reports targeted layers that have no saved tensors.

    ## Why is this bad?
    peft builds the adapter's layers from the config and then loads the tensors into them. A rank that
    disagrees makes loading fail with a size mismatch (or, with `ignore_mismatched_sizes`, leaves the
    layer untrained); tensors of layers the config does not target are skipped silently; a targeted
    layer without tensors loads untrained. All three mean the config was edited after training or the
    file came from another run.

    ## Example
    ```text
    adapter_config.json:  "r": 16
    adapter_model.safetensors:  ...q_proj.lora_A.weight  [8, 4096]   # trained with r=8
    ```

    ## Use instead
    ```text
    adapter_config.json:  "r": 8      # the config saved with the weights, unedited
    ```
    """

    code = "LORA603"
    name = "adapter-shape-mismatch"
    severity = Severity.ERROR
    needs = Needs.ARTIFACT
    basis = Basis.STRUCTURE
    hint = "Use the adapter_config.json saved with these weights (or retrain with the config you want)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        with_base = ctx.setup.base_model is not None and ctx.model.base is not None
        for adapter in ctx.artifacts:
            yield from self._ranks(ctx, adapter)
            if with_base:
                yield from self._against_base(ctx, adapter)
            else:
                yield from self._targets(ctx, adapter)

    def _ranks(self, ctx: RuleContext, adapter: Any) -> Iterator[Finding]:
        grouped = bool(adapter.config.get("target_parameters"))
        wrong: list[tuple[str, str]] = []
        for layer in adapter.layers:
            a, b = layer.a, layer.b
            if (a is not None and (len(a.shape) < 2 or not a.numel)) or (b is not None and (len(b.shape) < 2 or not b.numel)):
                continue  # empty or flattened: LORA604
            if a is None or b is None:
                wrong.append((layer.module, f"only {'lora_B' if a is None else 'lora_A'} was saved"))
                continue
            ra, rb = a.shape[0], b.shape[1]
            fits = ra == layer.r or (grouped and ra % layer.r == 0)
            if ra != rb:
                wrong.append((layer.module, f"lora_A has rank {ra} but lora_B rank {rb}"))
            elif not fits:
                wrong.append((layer.module, f"saved with rank {ra}, config gives r={layer.r}"))
        if wrong:
            shown = shorten((f"{m} ({why})" for m, why in wrong), sep="; ")
            field = "rank_pattern" if adapter.config.get("rank_pattern") else "r"
            yield self.finding(
                ctx,
                f"{plural(len(wrong), 'layer')} of adapter {adapter.name!r} {verb(len(wrong), 'does')} not fit adapter_config.json: {shown}. "
                "peft builds layers from the config, so loading fails with a size mismatch",
                adapter=adapter.name,
                module=wrong[0][0],
                setting=f"{field}: {adapter.config.get(field)!r}",
                file=adapter.file,
                evidence={m: why for m, why in wrong},
            )

    def _targets(self, ctx: RuleContext, adapter: Any) -> Iterator[Finding]:
        config = ctx.model.configs.get(adapter.name)
        targets = adapter.config.get("target_modules")
        if config is None or targets is None or adapter.config.get("target_parameters"):
            return
        if isinstance(targets, str) and targets.lower() == "all-linear":
            return  # needs the base model to expand
        # peft's check_target_module_exists; restated without torch for a config read without peft
        from lora_lint.facts.config_view import module_targeted

        untargeted = [layer.module for layer in adapter.layers if not module_targeted(config, layer.module)]
        if untargeted:
            yield self._untargeted(ctx, adapter, untargeted, targets)

    def _untargeted(self, ctx: RuleContext, adapter: Any, modules: list[str], targets: Any) -> Finding:
        return self.finding(
            ctx,
            f"adapter {adapter.name!r} holds tensors for {plural(len(modules), 'layer')} that target_modules {targets!r} "
            f"does not select (e.g. {modules[0]}): peft creates no layer for them and skips the tensors on load",
            adapter=adapter.name,
            module=modules[0],
            setting=f"target_modules: {targets!r}",
            file=adapter.file,
            evidence={"untargeted": modules},
        )

    def _against_base(self, ctx: RuleContext, adapter: Any) -> Iterator[Finding]:
        mapping = ctx.artifacts.on_base(adapter, ctx.model)
        sizes: list[tuple[str, str]] = []
        saved_modules: set[str] = set()
        for entry in mapping.mapped:
            t, base = entry.tensor, entry.module
            if not t.saved.is_factor or len(t.shape) < 2 or base is None:
                continue
            saved_modules.add(base.key)
            if t.saved.role == "A" and base.in_features is not None and t.shape[1] != base.in_features:
                sizes.append((base.key, f"{t.saved.part} takes {t.shape[1]} inputs, the layer has {base.in_features}"))
            if t.saved.role == "B" and base.out_features is not None and t.shape[0] != base.out_features:
                sizes.append((base.key, f"{t.saved.part} gives {t.shape[0]} outputs, the layer has {base.out_features}"))
        arch = ctx.model.architecture or "the base model"
        if sizes:
            shown = "; ".join(f"{m}: {why}" for m, why in sizes[:3])
            yield self.finding(
                ctx,
                f"{plural(len(sizes), 'saved tensor')} of adapter {adapter.name!r} {verb(len(sizes), 'does')} not fit the layers of {arch}: {shown}. "
                "The adapter was trained on a model with other layer sizes; loading fails",
                adapter=adapter.name,
                module=sizes[0][0],
                file=adapter.file,
                hint="Load it onto the model it was trained on (see base_model_name_or_path in adapter_config.json).",
                evidence={m: why for m, why in sizes},
            )
        facts = ctx.targeting.get(adapter.name)
        if facts is None or facts.cannot_verify or adapter.config.get("target_parameters"):
            return
        targeted = set(facts.targeted)
        untargeted = sorted(m for m in saved_modules if m not in targeted)
        if untargeted:
            yield self._untargeted(ctx, adapter, untargeted, adapter.config.get("target_modules"))
        missing = [k for k in facts.targeted if k not in saved_modules]
        if missing and saved_modules:
            yield self.finding(
                ctx,
                f"adapter_config.json of adapter {adapter.name!r} targets {plural(len(missing), 'layer')} of {arch} that the "
                f"file has no tensors for (e.g. {missing[0]}): they load untrained (lora_B = 0)",
                adapter=adapter.name,
                module=missing[0],
                setting=f"target_modules: {adapter.config.get('target_modules')!r}",
                file=adapter.file,
                evidence={"missing": missing},
            )


@hookimpl
def lora_lint_register_rules(register: RegisterRule) -> None:
    register(AdapterShapeMismatch)
