"""Each ``lora-lint`` run in its own process, without paying for torch, transformers and peft each time.

A CLI test needs a fresh process per run (its own stdout and stderr, its own exit status, nothing left
over from the last run), but importing the heavy libraries costs seconds, and the CLI tests run hundreds
of checks. One server process per test worker imports them once and forks a child for every run: the
child chdirs, takes the run's environment, points file descriptors 0-2 at /dev/null and two files, and
runs the console script's ``main`` as ``lora-lint`` would. A run whose environment changes what the
libraries read at import time (the Hugging Face cache, offline mode, torch's settings) is not forked: it
starts the console script afresh, as do tests that ask for ``fresh=True`` (import-cost and install checks).
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

#: environment variables read when torch, transformers, peft or huggingface_hub are imported: a run that
#: changes one of them cannot reuse the server's imports
IMPORT_TIME = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "TORCH", "PYTORCH_", "CUDA", "OMP_", "MKL_", "BNB_",
               "PEFT_", "TOKENIZERS_", "XDG_", "HOME", "LD_", "PYTHON", "DS_", "ACCELERATE_")  # fmt: skip
#: what the server imports before it forks: the libraries every check needs, not lora-lint itself
PRELOAD = ("torch", "transformers", "peft", "safetensors.torch", "yaml", "numpy", "bitsandbytes")


def import_time_settings(environ: dict[str, str]) -> dict[str, str]:
    """The variables a forked run would inherit from the server's imports (PYTHONPATH is applied per run)."""
    return {k: v for k, v in environ.items() if k.startswith(IMPORT_TIME) and k != "PYTHONPATH"}


class Server:
    """A forking server for one test process; started on first use, stopped at exit."""

    def __init__(self, console_script: Path, environ: dict[str, str]) -> None:
        self.console_script = console_script
        self.settings = import_time_settings(environ)
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(console_script)],
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self.stop)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def run(self, args: list[str], cwd: Path, environ: dict[str, str], timeout: float) -> tuple[int, str, str]:
        """``lora-lint ARGS`` in a forked child: exit status, stdout, stderr (decoded as subprocess would)."""
        with self.lock, tempfile.TemporaryDirectory(prefix="lora-lint-run-") as folder:
            out, err = Path(folder, "out"), Path(folder, "err")
            request = {"args": args, "cwd": str(cwd), "env": environ, "timeout": timeout, "out": str(out), "err": str(err)}
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if not answer:
                raise RuntimeError("the lora-lint run server stopped")
            status = json.loads(answer)
            if status.get("timeout"):
                raise subprocess.TimeoutExpired([str(self.console_script), *args], timeout)
            return int(status["rc"]), _decoded(out), _decoded(err)


def _decoded(path: Path) -> str:
    """What ``subprocess.run(text=True)`` gives: the locale's encoding, universal newlines."""
    with open(path, encoding=None, newline=None) as handle:
        return handle.read()


_server: Server | None = None


def run_forked(
    console_script: Path, args: list[str], cwd: Path, base: dict[str, str], environ: dict[str, str], timeout: float
) -> tuple[int, str, str] | None:
    """The run through this process's server (started with BASE), or None when ENVIRON changes an import-time
    setting of BASE and the run must start afresh."""
    global _server
    if import_time_settings(environ) != import_time_settings(base):
        return None
    if _server is None or not _server.alive():
        _server = Server(console_script, base)
    return _server.run(args, cwd, environ, timeout)


# ---- the server side: runs as ``python cli_processes.py CONSOLE_SCRIPT`` ----


def _child(request: dict[str, object], console_script: str, base_path: list[str]) -> None:
    """In the forked child: become ``lora-lint ARGS`` in CWD with ENV, then exit with its status."""
    code = 1
    try:
        os.chdir(str(request["cwd"]))
        environ = request["env"]
        assert isinstance(environ, dict)
        os.environ.clear()
        os.environ.update(environ)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, name in ((1, "out"), (2, "err")):
            target = os.open(str(request[name]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, errors="backslashreplace", buffering=1)  # noqa: SIM115
        # sys.path as the console script starts with it: its folder, then PYTHONPATH, then the rest
        extra = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.path.dirname(console_script), *extra, *base_path]
        sys.argv = [console_script, *[str(a) for a in request["args"]]]  # type: ignore[attr-defined]
        from lora_lint.cli import main

        try:
            result = main()
            code = 0 if result is None else int(result)
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        atexit._run_exitfuncs()  # what the interpreter does before it exits
        try:
            sys.stdout.flush()
        except (BrokenPipeError, OSError):
            code = 120
        sys.stderr.flush()
    except BaseException:  # an uncaught exception: the interpreter prints it and exits 1
        import traceback

        traceback.print_exc()
        try:
            sys.stderr.flush()
        except Exception:
            pass
        code = 1
    finally:
        os._exit(code)


def _serve(console_script: str) -> None:
    import importlib
    import time

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # the search path without this file's folder and without PYTHONPATH, both of which each run sets itself
    python_path = {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    base_path = [p for p in sys.path[1:] if p not in python_path]
    answers = os.fdopen(os.dup(1), "w")
    requests = os.fdopen(os.dup(0))
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            answers.close()
            _child(request, console_script, base_path)
        deadline = time.monotonic() + float(request["timeout"])
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                answers.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                answers.write(json.dumps({"timeout": True}) + "\n")
                break
            time.sleep(0.005)
        answers.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
