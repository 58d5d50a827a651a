"""`clearway up` owns its children (issue 8, defect 5): kill -9 of `up` used to leave
Temporal and PostgreSQL running in their own sessions, the next `up` was refused by its
port check, it kept serving with Temporal dead, and SIGTERM with a stuck request waited
forever. The last test is the drill itself, on the real command."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import mint_token
from clearway.secrets import resolve_secrets
from clearway.settings import Settings
from clearway.supervisor import (
    OwnedProcess,
    Reaper,
    record,
    recorded,
    run_dir,
    start_time,
    stop_recorded,
)
from tests.factories import application
from tests.ports import free_port

REPO = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    started = start_time(pid)
    if started is None:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state not in "ZX"


def _wait(predicate: Callable[[], bool], limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_a_pid_file_names_one_process_never_a_reused_pid(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    owned = record(tmp_path, "child", sleeper.pid, stop_signal=signal.SIGTERM, group=True)
    assert owned.alive()
    impostor = OwnedProcess("child", sleeper.pid, "1", int(signal.SIGTERM), True)
    assert not impostor.alive(), "same pid, other start time: another process"
    impostor.stop()
    assert sleeper.poll() is None, "a process we did not start is never signalled"
    owned.stop()
    assert sleeper.wait(timeout=5) == -signal.SIGTERM


def test_stale_children_are_stopped_and_forgotten(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    record(tmp_path, "temporal", sleeper.pid, stop_signal=signal.SIGTERM, group=True)
    assert stop_recorded(tmp_path) == ["temporal"]
    assert sleeper.wait(timeout=5) == -signal.SIGTERM
    assert recorded(tmp_path) == []


def test_the_reaper_stops_children_when_their_owner_is_killed(tmp_path: Path) -> None:
    """An owner that records a child and starts a reaper, then dies by SIGKILL (no cleanup
    code runs): the child must be gone well within 15 s."""
    owner_script = textwrap.dedent(
        f"""
        import signal, subprocess, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(REPO)!r})
        from clearway.supervisor import Reaper, record
        run = Path({str(tmp_path)!r})
        child = subprocess.Popen(["sleep", "300"], start_new_session=True)
        record(run, "child", child.pid, stop_signal=signal.SIGTERM, group=True)
        Reaper(run, run / "reaper.log")
        print(child.pid, flush=True)
        time.sleep(300)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", owner_script], stdout=subprocess.PIPE)
    assert owner.stdout is not None
    child = int(owner.stdout.readline())
    assert _alive(child)
    owner.kill()
    owner.wait()
    assert _wait(lambda: not _alive(child), 15.0), "the child outlived its owner"
    # The reaper forgets the pid file just after the child is gone: wait for that too.
    assert _wait(lambda: recorded(tmp_path) == [], 5.0)
    assert "is gone" in (tmp_path / "reaper.log").read_text()


def test_a_normal_exit_closes_the_reaper_without_stopping_anything(tmp_path: Path) -> None:
    reaper = Reaper(tmp_path, tmp_path / "reaper.log")
    assert _alive(reaper.pid)
    reaper.close()
    assert not _alive(reaper.pid)


# --- the drill on the real `clearway up` ------------------------------------------------


class Up:
    """`clearway up` in a subprocess with its own data directory and ports."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.api_port = free_port()
        self.env = os.environ | {
            "CLEARWAY_DATA_DIR": str(data_dir),
            "CLEARWAY_API_PORT": str(self.api_port),
            "CLEARWAY_TEMPORAL_PORT": str(free_port()),
            "CLEARWAY_TEMPORAL_UI_PORT": str(free_port()),
            "CLEARWAY_LOG_FORMAT": "console",
            "CLEARWAY_LOG_LEVEL": "WARNING",
        }
        for unset in ("CLEARWAY_DATABASE_URL", "CLEARWAY_TEMPORAL_ADDRESS"):
            self.env.pop(unset, None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "up.out"

    def start(self) -> None:
        banners = self._banners()
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "up"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert _wait(lambda: self._banners() > banners, 180.0), self.output()

    def _banners(self) -> int:
        return self.log.read_text().count("Clearway is up.") if self.log.exists() else 0

    def output(self) -> str:
        return self.log.read_text()[-3000:]

    def token(self, role: str) -> dict[str, str]:
        settings = Settings(data_dir=self.data_dir)
        secret = resolve_secrets(settings).jwt_secret
        value = mint_token(
            secret,
            subject=f"drill-{role}",
            roles=[role],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=dt.timedelta(minutes=10),
        )
        return {"Authorization": f"Bearer {value}"}

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def owned_pids(self) -> list[int]:
        """Every process `up` owns: itself, recorded children, their children (backends)."""
        pids = [self.proc.pid] if self.proc else []
        for owned in recorded(run_dir(self.data_dir)):
            pids.append(owned.pid)
            for task in Path(f"/proc/{owned.pid}/task").glob("*"):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    stack = Up(tmp_path / "data")
    stack.data_dir.mkdir()
    yield stack
    if stack.proc is not None and stack.proc.poll() is None:
        stack.proc.send_signal(signal.SIGTERM)
        stack.proc.wait(timeout=60)
    stop_recorded(run_dir(stack.data_dir))


def test_kill_9_of_up_leaves_nothing_and_a_restart_serves_earlier_cases(up: Up) -> None:
    up.start()
    body = application(application_id="drill-app-1")
    resp = httpx.post(f"{up.api}/v1/onboarding", json=body, headers=up.token("portal"))
    assert resp.status_code == 202, resp.text
    officer = up.token("officer")

    def decided() -> bool:
        state = httpx.get(f"{up.api}/v1/onboarding/drill-app-1", headers=officer).json()
        return bool(state.get("status") == "approved")

    assert _wait(decided, 60.0)

    pids = up.owned_pids()
    assert len(pids) >= 3, pids
    assert up.proc is not None
    up.proc.kill()
    up.proc.wait()
    assert _wait(lambda: not any(_alive(p) for p in pids), 15.0), [p for p in pids if _alive(p)]

    up.start()
    state = httpx.get(f"{up.api}/v1/onboarding/drill-app-1", headers=officer)
    assert state.status_code == 200 and state.json()["status"] == "approved", state.text

    # A child that dies stops the whole stack (exit 1) instead of serving without it.
    [temporal] = [p for p in recorded(run_dir(up.data_dir)) if p.name == "temporal"]
    pids = up.owned_pids()
    os.killpg(temporal.pid, signal.SIGKILL)
    assert up.proc.wait(timeout=60) == 1, up.output()
    assert "temporal exited unexpectedly" in up.output()
    assert _wait(lambda: not any(_alive(p) for p in pids), 15.0)


def test_sigterm_stops_everything_within_the_grace_period(up: Up) -> None:
    up.start()
    pids = up.owned_pids()
    assert up.proc is not None
    started = time.monotonic()
    up.proc.send_signal(signal.SIGTERM)
    assert up.proc.wait(timeout=60) == 0, up.output()
    assert time.monotonic() - started < 60
    assert "Clearway stopped." in up.output()
    assert _wait(lambda: not any(_alive(p) for p in pids), 15.0)
    assert recorded(run_dir(up.data_dir)) == []
