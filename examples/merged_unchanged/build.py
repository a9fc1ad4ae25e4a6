"""Build the merged-unchanged example: a tiny base, a trained adapter, and a "merged" model that is the base.

The bug: ``merge_and_unload()`` runs on a copy loaded for merging, and the object that gets saved is
another one, the untouched base. The folder looks like a merged model and behaves like the base.

    python examples/merged_unchanged/build.py OUT      # OUT defaults to a new temporary folder
    lora-lint check OUT/merged --model OUT/base --adapter OUT/adapter     # LORA607

The files are written on demand (never committed): a few hundred KB of safetensors.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _tiny import lm_batch, seed_lora_config, tiny_llama  # noqa: E402


def build(out: Path) -> Path:
    import torch
    from peft import PeftModel, get_peft_model

    tiny_llama().save_pretrained(out / "base")
    model = get_peft_model(tiny_llama(), seed_lora_config())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):  # a few real steps, so lora_B is not zero
        model(**lm_batch()).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out / "adapter")

    base = tiny_llama()
    merged = PeftModel.from_pretrained(tiny_llama(), str(out / "adapter")).merge_and_unload()  # noqa: F841 (never saved)
    base.save_pretrained(out / "merged")  # the bug: the merged model is `merged`, not `base`
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="merged-unchanged-"))
    build(folder)
    print(f"lora-lint check {folder}/merged --model {folder}/base --adapter {folder}/adapter")
