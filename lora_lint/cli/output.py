"""Where ``check`` writes its report: a handle opened before any user code runs, so a factory that prints,
writes to file descriptor 1 or replaces ``json.dumps`` cannot corrupt JSON or SARIF output.

While user code runs, file descriptor 1 and ``sys.stdout`` point at stderr; the report goes to a
duplicate of the original stdout (or to ``-o FILE``). Failing to open or write either is a usage error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

from lora_lint.errors import UsageError


class ReportOutput:
    """The report's stream, and the guard that keeps user code away from it."""

    def __init__(self, output: str | None) -> None:
        self.name = output or "stdout"
        self._saved_fd: int | None = None  # the original fd 1 while it is pointed at stderr
        self._borrowed: IO[str] | None = None  # a stdout that is not ours to close
        self.stream = self._open(output)

    def _open(self, output: str | None) -> IO[str]:
        stdout = sys.stdout
        fd1_open = _fd_open(1)
        if output is None and (stdout is None or (_fileno(stdout) == 1 and not fd1_open)):  # `>&-`
            raise UsageError("stdout is closed: cannot write the report (give -o FILE)")
        if stdout is not None and fd1_open and _fileno(stdout) == 1:
            stdout.flush()
            self._saved_fd = os.dup(1)
        if (self._saved_fd is not None or not fd1_open) and _fd_open(2):
            # fd 1 -> stderr for user code; a closed fd 1 is taken too, so no file opened later lands on it
            os.dup2(2, 1)
        if output is not None:
            try:
                return open(output, "w", encoding="utf-8")
            except OSError as exc:
                self.restore()
                raise UsageError(f"-o {output}: cannot write the report: {_why(output, exc)}") from None
        if self._saved_fd is not None:
            return open(os.dup(self._saved_fd), "w", encoding="utf-8", closefd=True)
        assert stdout is not None
        self._borrowed = stdout
        return stdout  # an in-memory stdout (click's test runner): user code cannot reach it by fd

    @contextlib.contextmanager
    def user_code(self) -> Iterator[None]:
        """Run user code with stdout on stderr and the json module's functions put back afterwards."""
        saved = [(owner, dict(vars(owner))) for owner in (json, json.encoder, json.JSONEncoder)]
        try:
            with contextlib.redirect_stdout(sys.stderr):
                yield
        finally:
            for owner, values in saved:
                _put_back(owner, values)

    @contextlib.contextmanager
    def writing(self) -> Iterator[IO[str]]:
        """The stream to render into; a failed write (a full disk, a closed pipe) is a usage error."""
        try:
            yield self.stream
            self.stream.flush()
        except OSError as exc:
            raise UsageError(f"cannot write the report to {self.name}: {exc.strerror or exc}") from None
        finally:
            self.close()

    def close(self) -> None:
        if self.stream is not self._borrowed:
            with contextlib.suppress(OSError):  # a failed write was reported already
                self.stream.close()
        self.restore()

    def restore(self) -> None:
        """fd 1 back to what it was (in-process callers keep their stdout)."""
        if self._saved_fd is not None:
            os.dup2(self._saved_fd, 1)
            os.close(self._saved_fd)
            self._saved_fd = None


def _why(output: str, exc: OSError) -> str:
    from pathlib import Path

    parent = Path(output).parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist"
    return exc.strerror or str(exc)


def _put_back(module: Any, saved: dict[str, Any]) -> None:
    current = vars(module)
    for key, value in saved.items():
        if current.get(key) is not value:
            setattr(module, key, value)


def _fileno(stream: IO[str] | None) -> int | None:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return None


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
