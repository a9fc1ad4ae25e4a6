"""Figure 3: start-up of the metadata commands next to ``python -c "import click"``, and torch-free checks.

Every command is a whole new process (interpreter start included), run from the installed console
script with cached bytecode, as a user runs it; one untimed round writes the caches first. Rounds
alternate the commands so each sees the same load; the median of each is compared with the median
of the baseline. A second set of runs uses ``python -X importtime`` to list every module a command
imports, which is how "no torch" is checked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks._measure import ROOT, Row, child_env, command_seconds, median

LIMIT = 1.5
HEAVY = ("torch", "transformers", "peft")


def lora_lint_exe() -> list[str]:
    """The console script next to this interpreter (what ``pip install`` puts on PATH)."""
    exe = Path(sys.executable).with_name("lora-lint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "lora_lint"]


def write_adapter_config(folder: Path) -> Path:
    """A saved adapter (config and a small tensor file) for the config-only check."""
    from benchmarks.artifact import write_adapter

    write_adapter(folder, layers=2, rank=4, scale=64)
    return folder


def commands(adapter: Path) -> dict[str, list[str]]:
    exe = lora_lint_exe()
    return {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "lora-lint --help": [*exe, "--help"],
        "lora-lint rules": [*exe, "rules"],
        "lora-lint explain LORA101": [*exe, "explain", "LORA101"],
        "lora-lint check ADAPTER --select LORA102,LORA301 --no-probe": [
            *exe, "check", str(adapter), "--select", "LORA102,LORA301", "--no-probe"],
    }  # fmt: skip


def imported_heavy(argv: list[str]) -> list[str]:
    """Which of torch/transformers/peft a command imports, read from ``-X importtime``."""
    import subprocess

    env = child_env({"PYTHONPROFILEIMPORTTIME": "1"})
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return [m for m in HEAVY if m in names]


def figure3(repeat: int = 9) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="lora-lint-bench-"))
    try:
        cmds = commands(write_adapter_config(tmp / "adapter"))
        env = child_env()
        for argv in cmds.values():  # writes the bytecode caches; not timed
            command_seconds(argv, env=env)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for i in range(repeat):
            for name, argv in cmds.items():
                if "check" in name and i >= 3:  # no start-up target for the check: three runs tell its time
                    continue
                times[name].append(command_seconds(argv, env=env))
        heavy = {name: imported_heavy(argv) for name, argv in cmds.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base_name, *names = cmds
    base = median(times[base_name])
    rows = [Row("3", f"{base_name} (baseline)", f"{1000 * base:.0f} ms", "", None)]
    for name in names:
        t = median(times[name])
        if "check" in name:  # no start-up target: what matters is that no heavy library loads
            ok = not heavy[name]
            value = "no torch" if ok else f"imports {', '.join(heavy[name])}"
            rows.append(Row("3", f"{name} ({1000 * t:.0f} ms)", value, "no torch", ok, {"times": times[name]}))
            continue
        ratio = t / base
        ok = ratio <= LIMIT and not heavy[name]
        label = f"{name} ({1000 * t:.0f} ms{', imports ' + ', '.join(heavy[name]) if heavy[name] else ''})"
        rows.append(Row("3", label, f"{ratio:.2f}x", f"<= {LIMIT}x", ok, {"times": times[name]}))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = figure3(args.repeat)
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
        return
    from benchmarks._measure import table

    print(table(rows))


if __name__ == "__main__":
    sys.exit(main())
