"""`clearway` command line: run the platform, its parts, migrations and dev tokens."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import threading
from collections.abc import Callable, Iterator

import click
import uvicorn
from pydantic import SecretStr

from clearway.contract import QUEUE_NAMES
from clearway.logging import configure_logging, get_logger
from clearway.settings import Settings, get_settings
from cli.documents import documents
from cli.ledger import ledger
from cli.lists import lists
from cli.screen import screen

log = get_logger("cli.main")


@click.group()
def cli() -> None:
    """Clearway: KYC/AML onboarding and compliance workflows on Temporal."""


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


class _ApiServer(uvicorn.Server):
    """Uvicorn without its own signal handling: `clearway` decides the shutdown order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


SHUTDOWN_GRACE_S = 45.0
"""From SIGTERM/SIGINT to exit, at most: the API gets 5 s to finish requests, the workers
10 s to finish activities, the children their stop timeouts. Past it (a request stuck on a
paused dependency, a thread that cannot be interrupted) the process stops its children
and exits anyway. A second signal does that at once."""


class ChildDied(click.ClickException):
    exit_code = 1


async def serve(
    settings: Settings,
    *,
    worker: bool,
    api: bool,
    banner: str | None = None,
    watch: Callable[[], str | None] | None = None,
    hard_stop: Callable[[], None] | None = None,
) -> None:
    """Run the worker and/or the API in this process until SIGINT/SIGTERM, then stop the API
    first (no new work), then the workers (finish in-flight tasks), then the connections.

    `watch` is polled every second; a message from it (a child process died) shuts down like
    a signal and then fails with that message, so a supervisor restarts the whole stack
    instead of this process serving without Temporal or PostgreSQL. `hard_stop` runs if
    the shutdown overruns SHUTDOWN_GRACE_S, just before the process exits."""
    from api.app import create_app
    from clearway.db import create_db_engine
    from clearway.temporal_client import connect
    from workers.main import build_workers

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            _hard_exit("second signal", hard_stop)
        stop.set()
        _arm_grace(hard_stop)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)

    client = await connect(settings)
    engine = create_db_engine(settings) if worker else None
    tasks: list[asyncio.Task[None]] = []
    workers = None
    server = None
    died: list[str] = []

    async def watcher() -> None:
        assert watch is not None
        while not stop.is_set():
            reason = watch()
            if reason:
                log.error("child process died; shutting down", reason=reason)
                died.append(reason)
                stop.set()
                _arm_grace(hard_stop)
                return
            await asyncio.sleep(1.0)

    if watch is not None:
        tasks.append(asyncio.create_task(watcher(), name="watch"))
    if worker:
        workers = build_workers(client, settings, engine, settings.worker_queues)
        tasks.append(asyncio.create_task(workers.run(), name="workers"))
    if api:
        config = uvicorn.Config(
            create_app(settings),
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = _ApiServer(config)
        tasks.append(asyncio.create_task(server.serve(), name="api"))
        # uvicorn exposes `started` as a flag, not an event.
        while not server.started and not tasks[-1].done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    if banner:
        click.echo(banner)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not stopper and t.exception() is not None]
    log.info("shutting down")
    _arm_grace(hard_stop)
    if server is not None:
        server.should_exit = True
    if workers is not None:
        await workers.shutdown()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    if engine is not None:
        engine.dispose()
    if died:
        raise ChildDied(f"{died[0]}; Clearway stopped")
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


_grace_timer: threading.Timer | None = None


def _arm_grace(hard_stop: Callable[[], None] | None) -> None:
    """Start the shutdown deadline once (a daemon timer: it never keeps the process alive)."""
    global _grace_timer
    if _grace_timer is None:
        _grace_timer = threading.Timer(
            SHUTDOWN_GRACE_S, _hard_exit, args=("shutdown grace period exceeded", hard_stop)
        )
        _grace_timer.daemon = True
        _grace_timer.start()


def _hard_exit(why: str, hard_stop: Callable[[], None] | None) -> None:
    log.error("stopping now", reason=why)
    try:
        if hard_stop is not None:
            hard_stop()
    finally:
        os._exit(1)


@cli.command()
def up() -> None:
    """Run everything: Temporal dev server, PostgreSQL, migrations, worker and API.

    It owns what it starts: children are recorded under DATA_DIR/run/ and stopped by a
    reaper if this process dies without cleaning up (even SIGKILL), left-overs of an earlier
    run are stopped before anything starts, a dead child stops the whole stack (exit 1),
    and SIGTERM/SIGINT stop everything within SHUTDOWN_GRACE_S."""
    from clearway.embedded import (
        AlreadyRunningError,
        embedded_postgres,
        ensure_ports_free,
        single_instance,
        temporal_dev_server,
    )
    from clearway.migrate import upgrade
    from clearway.secrets import resolve_secrets
    from clearway.supervisor import Reaper, recorded, run_dir, stop_recorded

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(single_instance(settings.data_dir))
        except AlreadyRunningError as exc:
            raise click.ClickException(str(exc)) from exc
        owned = run_dir(settings.data_dir)
        # Holding the lock, anything still recorded was started by a `clearway up` that is
        # gone (killed before its reaper finished, or with it): stop it before the port
        # check, which would otherwise blame our own left-overs.
        stale = "left running by an earlier `clearway up`"
        for name in stop_recorded(owned, lambda m: log.warning(m), stale):
            click.echo(f"Stopped {name} left running by an earlier `clearway up`.")
        try:
            ports = {"API": settings.api_port}
            if settings.temporal_address is None:
                ports |= {"Temporal": settings.temporal_port, "UI": settings.temporal_ui_port}
            ensure_ports_free(settings.temporal_host, ports)
        except AlreadyRunningError as exc:
            raise click.ClickException(str(exc)) from exc
        reaper = Reaper(owned, settings.data_dir / "reaper.log")
        stack.callback(reaper.close)
        resolve_secrets(settings)  # generate development secrets before anything reads them
        if settings.temporal_address is None:
            address = stack.enter_context(
                temporal_dev_server(
                    host=settings.temporal_host,
                    port=settings.temporal_port,
                    ui_port=settings.temporal_ui_port,
                    db_file=settings.data_dir / "temporal" / "temporal.db",
                    codec_endpoint=f"http://{settings.api_host}:{settings.api_port}/codec",
                    owner_dir=owned,
                )
            )
            settings = settings.model_copy(update={"temporal_address": address})
        if settings.database_url is None:
            url = stack.enter_context(
                embedded_postgres(settings.data_dir / "postgres", owner_dir=owned)
            )
            settings = settings.model_copy(update={"database_url": SecretStr(url)})
        upgrade(settings)

        def child_died() -> str | None:
            gone = [p.name for p in recorded(owned) if not p.alive()]
            return f"{', '.join(gone)} exited unexpectedly" if gone else None

        def hard_stop() -> None:
            stop_recorded(owned, lambda m: log.warning(m), "shutdown grace period exceeded")

        api_url = f"http://{settings.api_host}:{settings.api_port}"
        banner = "\n".join(
            [
                "",
                "Clearway is up.",
                f"  API           {api_url}  (docs: {api_url}/docs)",
                f"  Temporal      {settings.temporal_target}",
                f"  Temporal UI   http://{settings.temporal_host}:{settings.temporal_ui_port}",
                f"  Data          {settings.data_dir.resolve()}",
                "  Tokens        clearway token --role portal --sub my-portal",
                "Press Ctrl-C to stop.",
                "",
            ]
        )
        asyncio.run(
            serve(
                settings,
                worker=True,
                api=True,
                banner=banner,
                watch=child_died,
                hard_stop=hard_stop,
            )
        )
    click.echo("Clearway stopped.")


@cli.command()
@click.option(
    "--queues",
    default=",".join(QUEUE_NAMES),
    show_default=True,
    help="Comma-separated task queues to serve.",
)
def worker(queues: str) -> None:
    """Run Temporal workers (needs CLEARWAY_TEMPORAL_ADDRESS and CLEARWAY_DATABASE_URL)."""
    settings = _settings()
    selected = [q.strip() for q in queues.split(",") if q.strip()]
    settings = settings.model_copy(update={"worker_queues": selected})
    asyncio.run(serve(settings, worker=True, api=False))


@cli.command()
def api() -> None:
    """Run the HTTP API (needs CLEARWAY_TEMPORAL_ADDRESS and CLEARWAY_DATABASE_URL)."""
    asyncio.run(serve(_settings(), worker=False, api=True))


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the latest revision."""
    from clearway.migrate import upgrade

    upgrade(_settings())
    click.echo("database is at the latest revision")


@cli.command()
@click.option("--role", "roles", multiple=True, required=True, help="Role (repeatable).")
@click.option("--sub", "subject", required=True, help="Subject: the user or system name.")
@click.option("--ttl-minutes", type=int, default=None, help="Lifetime (default: setting).")
def token(roles: tuple[str, ...], subject: str, ttl_minutes: int | None) -> None:
    """Print a development bearer token signed with the configured secret."""
    from api.auth import mint_token
    from clearway.secrets import resolve_secrets

    settings = get_settings()
    secrets = resolve_secrets(settings)
    try:
        value = mint_token(
            secrets.jwt_secret,
            subject=subject,
            roles=list(roles),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=dt.timedelta(minutes=ttl_minutes or settings.jwt_ttl_minutes),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from exc
    click.echo(value)


cli.add_command(screen)
cli.add_command(documents)
cli.add_command(lists)
cli.add_command(ledger)


def main() -> None:
    cli(prog_name="clearway")


if __name__ == "__main__":
    main()
