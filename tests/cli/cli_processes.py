"""Each ``lora-lint`` run (or ``python -m MODULE`` process) of the tests in its own process, without paying for
torch, transformers and peft each time.

A CLI test needs a fresh process per run (its own stdout and stderr, its own exit status, nothing left
over from the last run), but importing the heavy libraries costs seconds, and the tests start hundreds
of processes. One server process per test worker imports them once and forks a child for every run: the
child chdirs, takes the run's environment, points file descriptors 0-2 at /dev/null and two files, and
runs the console script's ``main`` as ``lora-lint`` would (or the module as ``python -m`` would). A run
whose environment changes what the libraries read at import time (the Hugging Face cache, offline mode,
torch's thread settings) is forked from a server started with those settings, up to a few servers per
test process; beyond that a run starts afresh, as do tests that ask for ``fresh=True`` (import-cost and
install checks).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: environment variables read when torch, transformers, peft or huggingface_hub are imported: a run that
#: changes one of them cannot reuse a server's imports
IMPORT_TIME = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "TORCH", "PYTORCH_", "CUDA", "OMP_", "MKL_", "BNB_",
               "PEFT_", "TOKENIZERS_", "XDG_", "HOME", "LD_", "PYTHON", "DS_", "ACCELERATE_")  # fmt: skip
#: what a server imports before it forks: the libraries every check needs, not lora-lint itself
PRELOAD = ("torch", "transformers", "peft", "safetensors.torch", "yaml", "numpy", "bitsandbytes")


def import_time_settings(environ: dict[str, str]) -> str:
    """The variables a forked run inherits from its server's imports (PYTHONPATH is applied per run)."""
    return json.dumps({k: v for k, v in environ.items() if k.startswith(IMPORT_TIME) and k != "PYTHONPATH"}, sort_keys=True)


class Server:
    """A forking server for one test process; started on first use, stopped at exit."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__], env=environ, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        atexit.register(self.stop)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def ask(self, **request: object) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the test process server stopped")
        result: dict[str, object] = json.loads(answer)
        return result


_servers: dict[str, Server] = {}
#: servers one test process keeps at most (one per set of import-time settings: the plain one, a session's
#: Hugging Face cache, the distributed launcher's); a run with yet other settings starts afresh
MAX_SERVERS = 4


def _server(environ: dict[str, str]) -> Server | None:
    key = import_time_settings(environ)
    server = _servers.get(key)
    if server is None or not server.alive():
        if server is None and len(_servers) >= MAX_SERVERS:
            return None
        server = _servers[key] = Server(environ)
    return server


class ForkedProcess:
    """What the tests use of ``subprocess.Popen``, for a process forked by a server."""

    def __init__(self, server: Server, args: list[str], cwd: Path, environ: dict[str, str], module: str | None,
                 console_script: Path | None = None) -> None:  # fmt: skip
        self.server = server
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="lora-lint-run-")
        self.out, self.err = os.path.join(self.folder, "out"), os.path.join(self.folder, "err")
        script = None if console_script is None else str(console_script)
        answer = server.ask(op="start", module=module, script=script, args=args, cwd=str(cwd), env=environ,
                            out=self.out, err=self.err)  # fmt: skip
        self.pid = int(answer["pid"])  # type: ignore[call-overload]
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            answer = self.server.ask(op="wait", pid=self.pid, timeout=3600 if timeout is None else timeout)
            if answer.get("timeout"):
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self.returncode = int(answer["rc"])  # type: ignore[call-overload]
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        try:
            return _decoded(self.out), _decoded(self.err)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def kill(self) -> None:
        if self.returncode is None:
            self.returncode = int(self.server.ask(op="kill", pid=self.pid)["rc"])  # type: ignore[call-overload]


def _decoded(path: str) -> str:
    """What ``subprocess.run(text=True)`` gives: the locale's encoding, universal newlines."""
    with open(path, encoding=None, newline=None) as handle:
        return handle.read()


def run_forked(
    console_script: Path, args: list[str], cwd: Path, environ: dict[str, str], timeout: float
) -> tuple[int, str, str] | None:
    """The run through the server for ENVIRON's import-time settings, or None when it must start afresh."""
    server = _server(environ)
    if server is None:
        return None
    proc = ForkedProcess(server, args, cwd, environ, None, console_script)
    try:
        out, err = proc.communicate(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.wait(), out, err


def python_module(module: str, args: list[str], cwd: Path, environ: dict[str, str]) -> ForkedProcess | None:
    """``python -m MODULE ARGS`` in CWD with ENV, forked from the server for ENV's import-time settings; None
    when this process keeps as many servers as it may."""
    server = _server(environ)
    return None if server is None else ForkedProcess(server, args, cwd, environ, module)


# ---- the server side: runs as ``python cli_processes.py`` ----


def _streams(request: dict[str, object]) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "out"), (2, "err")):
        target = os.open(str(request[name]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, errors="backslashreplace", buffering=1)  # noqa: SIM115


def _child(request: dict[str, object], base_path: list[str]) -> None:
    """In the forked child: become the console script or ``python -m MODULE`` with ARGS in CWD with ENV."""
    code = 1
    try:
        cwd = str(request["cwd"])
        os.chdir(cwd)
        environ = request["env"]
        assert isinstance(environ, dict)
        os.environ.clear()
        os.environ.update(environ)
        _streams(request)
        args = [str(a) for a in request["args"]]  # type: ignore[attr-defined]
        extra = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        module, script = request.get("module"), request.get("script")
        try:
            if isinstance(module, str):
                import runpy

                # sys.path as ``python -m`` starts with it: the working directory, then PYTHONPATH, then the rest
                sys.path[:] = [cwd, *extra, *base_path]
                sys.argv = [module, *args]
                runpy.run_module(module, run_name="__main__", alter_sys=True)
                code = 0
            else:
                # sys.path as the console script starts with it: its folder, then PYTHONPATH, then the rest
                sys.path[:] = [os.path.dirname(str(script)), *extra, *base_path]
                sys.argv = [str(script), *args]
                from lora_lint.cli import main

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


def _wait(pid: int, timeout: float) -> dict[str, object]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"rc": os.waitstatus_to_exitcode(status)}
        if time.monotonic() > deadline:
            return {"timeout": True}
        time.sleep(0.005)


def _serve() -> None:
    import importlib
    import signal

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
        if request["op"] == "start":
            pid = os.fork()
            if pid == 0:
                requests.close()
                answers.close()
                _child(request, base_path)
            answer: dict[str, object] = {"pid": pid}
        elif request["op"] == "wait":
            answer = _wait(int(request["pid"]), float(request["timeout"]))
        else:  # kill
            os.kill(int(request["pid"]), signal.SIGKILL)
            answer = _wait(int(request["pid"]), 60)
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve()
