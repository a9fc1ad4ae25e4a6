"""Run every benchmark figure and print one table: what was measured, the target, PASS or MISS.

    python benchmarks/run.py                  # the quick CPU figures 1-5 and 9 (about 5 minutes on 2 cores)
    python benchmarks/run.py --only 2,5       # some figures; 6 (two ranks) and 8 (merged, 2 GB of files) are slow
    python benchmarks/run.py --device cuda    # figure 1 on a GPU with a 1B-class model, then the rest
    python benchmarks/run.py --json out.json  # every raw measurement as well

Exit status 0 when every figure passes, 1 otherwise. See benchmarks/README.md for what each figure
measures and how.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import CHILD_ENV, Row, load_average, table

FIGURES = ("1", "2", "3", "4", "5", "6", "8", "9")
#: figures left out of a plain run: each takes minutes on 2 CPUs (``--only`` runs them)
SLOW = ("6", "8")


def run(only: tuple[str, ...], device: str, repeat: int) -> list[Row]:
    from benchmarks import artifact, framework_config, merged, probe_vs_step, startup, structure, two_ranks

    rows: list[Row] = []
    if "1" in only:
        if device.startswith("cuda"):
            rows += probe_vs_step.figure1(repeat, size="1b", device=device)
        rows += probe_vs_step.figure1(repeat, size="100m", device="cpu")
    if "2" in only:
        rows += structure.figure2(repeat)
    if "3" in only:
        rows += startup.figure3(max(repeat * 3, 5))
    if "4" in only:
        rows += artifact.figure4()
    if "5" in only:
        rows += structure.figure5(max(repeat, 5))
    if "6" in only:
        rows += two_ranks.figure6(repeat)
    if "8" in only:
        rows += merged.figure()
    if "9" in only:
        rows += framework_config.figure(repeat)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = ",".join(f for f in FIGURES if f not in SLOW)
    parser.add_argument("--only", default=default, help=f"comma-separated figure numbers (default: {default})")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda[:N] to add figure 1 on a GPU (1B-class model)")
    parser.add_argument("--repeat", type=int, default=3, help="measured processes per figure and side (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch compute threads in measured processes")
    parser.add_argument("--json", metavar="FILE", help="also write every row with its raw measurements")
    args = parser.parse_args(argv)
    only = tuple(f.strip() for f in args.only.split(",") if f.strip())
    unknown = [f for f in only if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    CHILD_ENV["OMP_NUM_THREADS"] = CHILD_ENV["MKL_NUM_THREADS"] = str(args.threads)
    started, load = time.perf_counter(), load_average()
    rows = run(only, args.device, args.repeat)
    elapsed = time.perf_counter() - started
    print(table(rows))
    passed = all(r.passed is not False for r in rows)
    print(
        f"\n{sum(r.passed is True for r in rows)} PASS, {sum(r.passed is False for r in rows)} MISS in {elapsed:.0f} s "
        f"(load average {load:.1f} -> {load_average():.1f} on {os.cpu_count()} CPUs, {args.threads} torch thread(s))"
    )
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
