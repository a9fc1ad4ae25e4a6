"""``python -m lora_lint`` runs the CLI."""

from __future__ import annotations

from lora_lint.cli import main

if __name__ == "__main__":
    main()
