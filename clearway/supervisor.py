"""Ownership of the processes `clearway up` starts (Temporal dev server, PostgreSQL).

`clearway up` must never leave a process behind, even when it is killed with SIGKILL and
has no chance to clean up. Three layers make sure of it:

1. Every child is recorded in a pid file under `<data dir>/run/` with its pid *and its
   start time* (from /proc): a pid file names one process, never a later process that
   reused the pid, so stopping by pid file can never hit a stranger. Nothing is ever
   stopped by name.
2. A small reaper process (`python -m clearway.supervisor RUN_DIR`, its own session) holds
   the read end of a pipe whose write end only `clearway up` holds. When `up` dies, however
   it dies, the kernel closes the pipe; the reaper reads EOF and stops every process still
   recorded. Children that `up` forks directly also get PR_SET_PDEATHSIG.
3. The next `clearway up` on the same data directory stops any recorded process still
   alive (the reaper itself may have been killed, e.g. `kill -9` of the process group)
   before it starts anything.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

STOP_TIMEOUT_S = 10.0
"""How long a child gets to stop cleanly before SIGKILL."""

_PR_SET_PDEATHSIG = 1


def run_dir(data_dir: Path) -> Path:
    path = data_dir / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (field 3 onwards), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (stat field 22): with the pid it
    identifies one process for the life of the machine."""
    fields = _stat(pid)
    return fields[19] if fields else None


@dataclass(frozen=True)
class OwnedProcess:
    name: str
    pid: int
    started: str
    stop_signal: int
    group: bool
    """Signal the whole process group (a child started in its own session), not just pid."""

    def alive(self) -> bool:
        fields = _stat(self.pid)
        return fields is not None and fields[19] == self.started and fields[0] not in "ZX"

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop signal, then SIGKILL after `timeout`; returns once the process is gone."""
        if not self.alive():
            return
        self.signal(self.stop_signal)
        self.signal(signal.SIGCONT)  # a paused (SIGSTOP) process acts on the signal too
        if _wait_gone(self, timeout):
            return
        self.signal(signal.SIGKILL)
        _wait_gone(self, 5.0)


def _wait_gone(proc: OwnedProcess, timeout: float) -> bool:
    """Polls without reaping: a zombie already counts as gone (`alive`), and reaping here
    took the exit status from the child's own `Popen`, whose `wait()` then reported 0
    instead of the signal that ended it (a flaky test found it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            return True
        time.sleep(0.05)
    return not proc.alive()


def record(directory: Path, name: str, pid: int, *, stop_signal: int, group: bool) -> OwnedProcess:
    started = start_time(pid)
    if started is None:
        raise RuntimeError(f"{name} (pid {pid}) exited before it could be recorded")
    owned = OwnedProcess(name, pid, started, int(stop_signal), group)
    tmp = directory / f".{name}.pid.tmp"
    tmp.write_text(json.dumps(asdict(owned)))
    tmp.replace(directory / f"{name}.pid")
    return owned


def forget(directory: Path, name: str) -> None:
    (directory / f"{name}.pid").unlink(missing_ok=True)


def recorded(directory: Path) -> list[OwnedProcess]:
    out = []
    for path in sorted(directory.glob("*.pid")):
        try:
            out.append(OwnedProcess(**json.loads(path.read_text())))
        except (ValueError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: it cannot name a process safely
    return out


def stop_recorded(
    directory: Path, log: Callable[[str], None] = lambda _: None, why: str = "stale"
) -> list[str]:
    """Stop every recorded process that is still the one recorded; forget them all."""
    stopped = []
    for proc in recorded(directory):
        if proc.alive():
            log(f"stopping {proc.name} (pid {proc.pid}): {why}")
            proc.stop()
            stopped.append(proc.name)
        forget(directory, proc.name)
    return stopped


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """In a forked child (`preexec_fn`): the kernel sends `sig` when the forking thread
    exits, so the child cannot outlive `clearway up` even after SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


class Reaper:
    """The process that stops the recorded children once `clearway up` is gone."""

    def __init__(self, directory: Path, log_file: Path) -> None:
        with open(log_file, "ab") as log_fh:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "clearway.supervisor", str(directory)],
                stdin=subprocess.PIPE,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self, timeout: float = 5.0) -> None:
        """Normal exit: `up` stopped its children itself; the reaper finds nothing to do."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _reap(directory: Path) -> None:
    # Terminal signals belong to `clearway up`; only the pipe's EOF means "it is gone".
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdin.buffer.read()

    def say(message: str) -> None:
        print(f"clearway reaper: {message}", flush=True)

    stop_recorded(directory, say, "the `clearway up` that started it is gone")


if __name__ == "__main__":
    _reap(Path(sys.argv[1]))
