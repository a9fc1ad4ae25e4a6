"""Select and ignore by code or prefix through one pure decision function."""

from __future__ import annotations

from collections.abc import Iterable


def _longest(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def normalise_codes(codes: Iterable[str] | str | None) -> tuple[str, ...]:
    """Accept ``"LORA1,LORA301"`` or a list; upper-case, strip, drop empties."""
    if codes is None:
        return ()
    if isinstance(codes, str):
        codes = codes.split(",")
    return tuple(c.strip().upper() for c in codes if c and c.strip())


def is_selected(
    code: str,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extend_select: Iterable[str] | None = None,
) -> bool:
    """Decide whether ``code`` runs.

    The longest matching prefix wins; on a tie an explicit selection beats an ignore, and an ignore
    beats the implicit selection. With no ``select`` every code is implicitly selected (``"LORA"``), so
    ``ignore=["LORA3"]`` drops 3xx, ``ignore=["LORA"]`` drops everything, and
    ``select=["LORA3"], ignore=["LORA30"], extend_select=["LORA301"]`` keeps just LORA301 and 31x-39x.

    >>> is_selected("LORA301", ignore=["LORA3"])
    False
    >>> is_selected("LORA301", select=["LORA3"], ignore=["LORA30"], extend_select=["LORA301"])
    True
    """
    explicit = list(normalise_codes(select)) + list(normalise_codes(extend_select))
    sel = _longest(code, explicit)
    implicit = not normalise_codes(select) and _longest(code, ("LORA",)) > sel
    if implicit:
        sel = _longest(code, ("LORA",))
    ign = _longest(code, normalise_codes(ignore))
    if sel < 0:
        return False
    # on a tie an explicit selection beats an ignore, and an ignore beats the implicit "LORA"
    return sel > ign or (sel == ign and not implicit)
