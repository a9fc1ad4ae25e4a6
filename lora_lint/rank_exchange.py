"""Exchanges between the ranks of a job through its c10d store, which a rank can stop waiting on.

A gloo or NCCL collective cannot be abandoned: a rank whose factory raised, or whose lint failed, would leave
the others blocked in their next collective until the process group's timeout (30 minutes by default). Here
each exchange is one key per rank in the job's store (the TCPStore that torchrun or ``init_process_group``
set up), waited for by polling; a rank that fails posts its error under a key every waiting rank looks at,
so every rank stops with the same decision within moments. Only small pickled values travel (flags, norms,
fingerprints, findings), never weights.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from lora_lint.errors import UsageError
from lora_lint.text import one_line

T = TypeVar("T")

#: seconds a rank waits at one exchange for the others (a slow rank may still be loading a large model)
TIMEOUT_ENV = "LORA_LINT_RANK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
#: seconds a failing rank waits for the others to read its error before it goes on (the store may live in
#: its own process, and leaving takes the store with it)
ACK_WAIT = 10.0


class RankFailed(UsageError):
    """Another rank of the job stopped (its error is in the message), or did not arrive in time."""


@dataclass
class _Channel:
    store: Any
    rank: int
    world: int
    #: bumped on every failure, on every rank alike: a later lint in the same group starts on fresh keys
    round: int = 0
    seq: int = 0

    def key(self, *parts: object) -> str:
        return "/".join(["lora-lint", str(self.round), *(str(p) for p in parts)])

    def next_round(self) -> None:
        self.round += 1
        self.seq = 0


_CHANNELS: dict[int, _Channel] = {}
_depth = 0


def _channel() -> _Channel:
    import torch.distributed as dist
    from torch.distributed import distributed_c10d

    key = id(dist.group.WORLD)
    if key not in _CHANNELS:
        _CHANNELS.clear()
        store = distributed_c10d._get_default_store()  # torch internal: the store the default group was built on
        _CHANNELS[key] = _Channel(store, dist.get_rank(), dist.get_world_size())
    return _CHANNELS[key]


def timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        raise UsageError(f"{TIMEOUT_ENV}={os.environ[TIMEOUT_ENV]!r} is not a number of seconds") from None


def exchange(value: T) -> list[T]:
    """Every rank's ``value``, in rank order, once every rank has given one; ``RankFailed`` if a rank stopped."""
    ch = _channel()
    ch.seq += 1
    ch.store.set(ch.key(ch.seq, ch.rank), pickle.dumps(value))
    keys = [ch.key(ch.seq, r) for r in range(ch.world)]
    _wait_for(ch, keys)
    values = [pickle.loads(ch.store.get(k)) for k in keys]
    if ch.seq > 2:  # every rank has read round seq-2 once it posted seq-1, which this rank just saw
        _forget(ch, ch.key(ch.seq - 2, ch.rank))
    return values


def _wait_for(ch: _Channel, keys: list[str]) -> None:
    limit = timeout()
    deadline = time.monotonic() + limit
    pause = 0.0005
    while True:
        try:
            if ch.store.check(keys):
                return
            failure = _posted_failure(ch)
        except (RuntimeError, OSError) as exc:  # the store's host (rank 0, or torchrun's agent) is gone
            ch.next_round()
            raise RankFailed(f"lost contact with the other ranks ({type(exc).__name__}): a rank of the job stopped") from None
        if failure is not None:
            ch.store.add(ch.key("acks"), 1)
            ch.next_round()
            raise RankFailed(failure)
        if time.monotonic() > deadline:
            missing = [r for r, k in enumerate(keys) if not ch.store.check([k])]
            message = (
                f"rank {', '.join(map(str, missing))} of {ch.world} did not reach the same step of the lint within "
                f"{limit:g} s (set {TIMEOUT_ENV} to wait longer)"
            )
            _post(ch, message)
            raise RankFailed(message)
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


def _posted_failure(ch: _Channel) -> str | None:
    if ch.store.add(ch.key("failures"), 0) == 0:
        return None
    for r in range(ch.world):
        if ch.store.check([ch.key("failed", r)]):
            return f"rank {r} of {ch.world} stopped: {ch.store.get(ch.key('failed', r)).decode()}"
    return None


def _post(ch: _Channel, message: str) -> None:
    """Post this rank's failure, wait (briefly) until every other rank read it or failed too, start a new round."""
    ch.store.set(ch.key("failed", ch.rank), message.encode())
    ch.store.add(ch.key("failures"), 1)
    deadline = time.monotonic() + ACK_WAIT
    while time.monotonic() < deadline:
        if ch.store.add(ch.key("acks"), 0) + ch.store.add(ch.key("failures"), 0) >= ch.world:
            break
        time.sleep(0.01)
    ch.next_round()


def _forget(ch: _Channel, key: str) -> None:
    try:
        ch.store.delete_key(key)
    except (RuntimeError, NotImplementedError):  # a store without deletion (FileStore): the keys stay
        pass


def failure_line(exc: BaseException) -> str:
    """What the other ranks are told: lora-lint's own message, or the exception's type and text, cut at 500 characters."""
    from lora_lint.errors import LoraLintError

    return one_line(exc if isinstance(exc, LoraLintError) else f"{type(exc).__name__}: {exc}", limit=500)


@contextmanager
def failures_shared(passing: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run a part of a lint in which an error on this rank is posted for the other ranks before it propagates.

    Nested uses post once (the outermost does). Exceptions of the ``passing`` types are not failures (a
    command's own exit), and outside a job of several processes nothing is posted.
    """
    global _depth
    _depth += 1
    try:
        yield
    except RankFailed:
        raise
    except Exception as exc:
        if _depth == 1 and not isinstance(exc, passing):
            _share(exc)
        raise
    finally:
        _depth -= 1


def _share(exc: Exception) -> None:
    from lora_lint.distributed import is_distributed, join_launch_group

    if not is_distributed():
        try:  # under torchrun, a rank that failed before joining joins now, so the others are not left waiting
            join_launch_group()
        except Exception:  # noqa: BLE001 - the rank's own error is the one to show
            return
    if is_distributed():
        try:
            _post(_channel(), failure_line(exc))
        except (RuntimeError, OSError):  # the store is gone already: nothing left to tell
            pass
