"""Built-in rules: one module per rule, named ``loraNNN_<name>.py`` so a listing reads like the spec."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

_RULE_MODULE_RE = re.compile(r"^lora\d{3}_\w+$")

#: Found by file name, so adding a rule touches only its own module.
BUILTIN_RULE_MODULES: tuple[str, ...] = tuple(
    f"{__name__}.{info.name}"
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name)
    if _RULE_MODULE_RE.match(info.name)
)
