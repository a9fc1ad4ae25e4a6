"""Small wording helpers shared by messages: counted nouns, and hints spelled for the command line."""

from __future__ import annotations

import re

_IRREGULAR = {"is": "are", "was": "were", "has": "have", "gets": "get", "does": "do"}

#: a Python keyword argument in a hint, as the CLI spells it (``intent="inference"`` -> ``--intent inference``)
_API_SETTING = re.compile(r"""\bintent=["']?(\w+)["']?""")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 tensor"``, ``"2 tensors"``; ``many`` for an irregular plural (``plural(n, "entry", "entries")``)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def verb(n: int, singular: str) -> str:
    """The verb agreeing with ``n`` things: ``verb(1, "is")`` is ``"is"``, ``verb(2, "gets")`` is ``"get"``."""
    if n == 1:
        return singular
    return _IRREGULAR.get(singular, singular[:-1] if singular.endswith("s") else singular)


def for_command_line(text: str) -> str:
    """A hint or note as a ``lora-lint check`` user types it: ``--intent inference``, not ``intent="inference"``."""
    return _API_SETTING.sub(r"--intent \1", text)
