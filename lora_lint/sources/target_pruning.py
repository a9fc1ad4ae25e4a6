"""Hand peft only the target_modules entries that can match a module, so a long list costs linear time.

For a list of 20 entries or more, peft's ``inject_adapter`` shrinks ``target_modules`` to a minimal
set of suffixes (``_find_minimal_target_modules``), comparing every entry with every suffix kept so
far: quadratic in the entries (10,000 entries took about 20 s). Entries that match no module name
change nothing peft builds, so they are dropped from the copy peft receives; the rules judge the
list as written (including every entry that matches nothing).
"""

from __future__ import annotations

from typing import Any

#: peft.utils.constants.MIN_TARGET_MODULES_FOR_OPTIMIZATION: below it peft runs no suffix search
MIN_ENTRIES_TO_PRUNE = 20
#: the entries kept when none matches, so peft still refuses in its own words without listing thousands
REFUSAL_SAMPLE = 5


def pruned_targets(config: Any, model: Any) -> Any:
    """``config`` itself, or a copy whose list ``target_modules`` keeps only entries that can match.

    peft matches a list entry by a whole module name or a ``"." + entry`` suffix
    (``check_target_module_exists``), so an entry can match only if it is one of the names' dotted
    suffixes. Entries peft's transformers-5 MoE rewrite renames are kept whatever they match.
    """
    targets = getattr(config, "target_modules", None)
    if isinstance(targets, str) or not targets or len(targets) < MIN_ENTRIES_TO_PRUNE:
        return config
    from lora_lint.facts.conversion import peft_conversion
    from lora_lint.facts.peft_matching import cfg_with, name_suffixes

    suffixes = name_suffixes(name for name, _ in model.named_modules())
    renamed = peft_conversion(config, model).renamed
    kept = {entry for entry in targets if entry in suffixes or entry in renamed}
    if not kept:
        kept = set(sorted(targets)[:REFUSAL_SAMPLE])
    if len(kept) == len(targets):
        return config
    return cfg_with(config, target_modules=kept)
