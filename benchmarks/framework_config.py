"""Framework config on the meta device: ``lora-lint check axolotl.yml`` naming a hub id (7B, 70B) against the
same check given as ``--model DIR --lora-config FILE``; target: within 1.2x.

One fresh process per case builds a Hugging Face cache holding only the base's config.json (offline),
an axolotl config naming it and the LoraConfig JSON axolotl would build from it, warms both routes up
on a 2-layer model of the same architecture, then times the two routes in interleaved rounds through
the CLI's own entry point. The framework route pays for the YAML mapping and the cache lookup.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import Row, measure, median, run_child
from benchmarks.structure import LLAMA2_7B, LLAMA3_70B

CASES = {"llama2-7b": LLAMA2_7B, "llama3-70b": LLAMA3_70B}
LIMIT = 1.2
AXOLOTL = """base_model: {repo}
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0.0
lora_target_modules: [q_proj, v_proj]
sequence_len: 2048
"""
#: what axolotl builds from AXOLOTL (its bias and task type are fixed)
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "bias": "none", "target_modules": ["q_proj", "v_proj"], "task_type": "CAUSAL_LM"}


def cache_model(cache: Path, repo: str, config: dict[str, Any]) -> Path:
    """``models--org--name/{refs/main,snapshots/<sha>/config.json}``; the snapshot folder."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    commit = "0" * 40
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (snapshot / "config.json").write_text(json.dumps(config))
    return snapshot


def check(*args: str) -> int:
    from lora_lint.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", *args, "--format", "json"], standalone_mode=False)
    return int(code or 0)


def child(case: str, rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    cache = tmp / "hub"
    os.environ["HF_HUB_CACHE"] = str(cache)  # before huggingface_hub is imported
    import lora_lint.cli  # noqa: F401  imports before timing

    routes: dict[str, tuple[str, ...]] = {}
    for name, layers in (("warm", 2), ("real", None)):
        config = dict(CASES[case]) if layers is None else {**CASES[case], "num_hidden_layers": layers}
        repo = f"bench/{case}-{name}"
        snapshot = cache_model(cache, repo, config)
        yml = tmp / f"{name}.yml"
        yml.write_text(AXOLOTL.format(repo=repo))
        lora = tmp / f"{name}.json"
        lora.write_text(json.dumps(LORA))
        routes[f"{name}-framework"] = (str(yml),)
        routes[f"{name}-pair"] = ("--model", str(snapshot), "--lora-config", str(lora))
    check(*routes["warm-framework"])
    check(*routes["warm-pair"])
    times: dict[str, list[float]] = {"framework": [], "pair": []}
    for _ in range(rounds):
        for route in ("framework", "pair"):
            times[route].append(measure(lambda r=route: check(*routes[f"real-{r}"])).seconds)
    return {"times": times}


def figure(rounds: int = 3) -> list[Row]:
    rows = []
    for case in CASES:
        times = run_child("framework_config", case, "--rounds", str(rounds))["times"]
        fw, pair = median(times["framework"]), median(times["pair"])
        ratio = fw / pair
        rows.append(
            Row("9", f"{case}: axolotl config / --model DIR --lora-config ({fw:.2f} s / {pair:.2f} s)",
                f"{ratio:.2f}", f"<= {LIMIT:g}", ratio <= LIMIT, {"times": times})
        )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("case", nargs="?", choices=sorted(CASES))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        from benchmarks._measure import emit

        emit(child(args.case, args.rounds))
        return
    from benchmarks._measure import table

    print(table(figure(args.rounds)))


if __name__ == "__main__":
    sys.exit(main())
