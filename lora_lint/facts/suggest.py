"""'Did you mean' suggestions: module names that play the same role, then the closest spellings."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

#: Names that different architectures give to the same projection. A name may play several roles
#: (GPT-2's fused ``c_attn`` is query, key and value at once).
ROLES: dict[str, tuple[str, ...]] = {
    "query": ("q_proj", "query", "q", "q_lin", "c_attn", "qkv_proj", "Wqkv", "query_key_value", "qkv", "in_proj"),
    "key": ("k_proj", "key", "k", "k_lin", "c_attn", "qkv_proj", "Wqkv", "query_key_value", "qkv", "in_proj"),
    "value": ("v_proj", "value", "v", "v_lin", "c_attn", "qkv_proj", "Wqkv", "query_key_value", "qkv", "in_proj"),
    "attn_out": ("o_proj", "out_proj", "o", "out_lin", "c_proj", "dense", "wo", "proj"),
    "mlp_in": ("up_proj", "gate_proj", "fc1", "c_fc", "wi", "wi_0", "wi_1", "w1", "w3", "lin1", "fc_in", "dense_h_to_4h", "gate_up_proj"),
    "mlp_out": ("down_proj", "fc2", "c_proj", "wo", "w2", "lin2", "fc_out", "dense_4h_to_h", "dense"),
    "embed": ("embed_tokens", "wte", "word_embeddings", "embed_in", "shared", "tok_embeddings"),
    "head": ("lm_head", "classifier", "score", "qa_outputs", "embed_out", "output"),
}


#: each role's names in lower case, the role's own name included
_LOWER = {role: frozenset({role, *(n.lower() for n in names)}) for role, names in ROLES.items()}


def _roles_of(name: str) -> set[str]:
    low = name.lower()
    return {role for role, names in _LOWER.items() if low in names}


def closest_names(entry: str, candidates: Iterable[str], limit: int = 3) -> tuple[str, ...]:
    """Up to ``limit`` real names for a target entry that matched nothing, best first."""
    pool = sorted(set(candidates))
    if not pool:
        return ()
    leaf = entry.rsplit(".", 1)[-1]
    picked: list[str] = []
    roles = _roles_of(leaf)
    if roles:
        for role in ("query", "key", "value", "attn_out", "mlp_in", "mlp_out", "embed", "head"):
            if role not in roles:
                continue
            for name in ROLES[role]:
                if name in pool and name not in picked:
                    picked.append(name)
    # difflib.get_close_matches(entry, pool, cutoff=0.5), then (leaf, cutoff=0.3) when nothing was picked;
    # scored once when entry is its own leaf, so 10,000 unmatched entries cost one pass each, not two
    scored = _scores(entry, pool, 0.3 if leaf == entry else 0.5)
    for _, cand in heapq.nlargest(limit, [(s, x) for s, x in scored if s >= 0.5]):
        if cand not in picked:
            picked.append(cand)
    if not picked:
        picked = [x for _, x in heapq.nlargest(limit, scored if leaf == entry else _scores(leaf, pool, 0.3))]
    return tuple(picked[:limit])


def _scores(word: str, pool: list[str], cutoff: float) -> list[tuple[float, str]]:
    """(ratio, name) for every name at least ``cutoff`` alike, as difflib.get_close_matches scores them."""
    import difflib  # on use: `lora-lint rules` and `explain` import this module, not the suggestions

    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    out = []
    for name in pool:
        matcher.set_seq1(name)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                out.append((ratio, name))
    return out
