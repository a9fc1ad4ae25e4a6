"""Read-only, typed snapshots of a setup, computed once and cached on the rule context; no judgement here.

torch, transformers and peft are imported inside functions only.
"""

from __future__ import annotations
