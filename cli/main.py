"""`clearway` command line: run the platform, its parts, migrations and dev tokens."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
from collections.abc import Iterator

import click
import uvicorn
from pydantic import SecretStr

from clearway.logging import configure_logging, get_logger
from clearway.settings import QUEUE_NAMES, Settings, get_settings
from cli.documents import documents
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


async def serve(settings: Settings, *, worker: bool, api: bool, banner: str | None = None) -> None:
    """Run the worker and/or the API in this process until SIGINT/SIGTERM, then stop the API
    first (no new work), then the workers (finish in-flight tasks), then the connections."""
    from api.app import create_app
    from clearway.db import create_db_engine
    from clearway.temporal_client import connect
    from workers.main import build_workers

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    client = await connect(settings)
    engine = create_db_engine(settings) if worker else None
    tasks: list[asyncio.Task[None]] = []
    workers = None
    server = None
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
    if server is not None:
        server.should_exit = True
    if workers is not None:
        await workers.shutdown()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    if engine is not None:
        engine.dispose()
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


@cli.command()
def up() -> None:
    """Run everything: Temporal dev server, PostgreSQL, migrations, worker and API."""
    from clearway.embedded import (
        AlreadyRunningError,
        embedded_postgres,
        ensure_ports_free,
        single_instance,
        temporal_dev_server,
    )
    from clearway.migrate import upgrade
    from clearway.secrets import resolve_secrets

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(single_instance(settings.data_dir))
            ports = {"API": settings.api_port}
            if settings.temporal_address is None:
                ports |= {"Temporal": settings.temporal_port, "UI": settings.temporal_ui_port}
            ensure_ports_free(settings.temporal_host, ports)
        except AlreadyRunningError as exc:
            raise click.ClickException(str(exc)) from exc
        resolve_secrets(settings)  # generate development secrets before anything reads them
        if settings.temporal_address is None:
            address = stack.enter_context(
                temporal_dev_server(
                    host=settings.temporal_host,
                    port=settings.temporal_port,
                    ui_port=settings.temporal_ui_port,
                    db_file=settings.data_dir / "temporal" / "temporal.db",
                    codec_endpoint=f"http://{settings.api_host}:{settings.api_port}/codec",
                )
            )
            settings = settings.model_copy(update={"temporal_address": address})
        if settings.database_url is None:
            url = stack.enter_context(embedded_postgres(settings.data_dir / "postgres"))
            settings = settings.model_copy(update={"database_url": SecretStr(url)})
        upgrade(settings)
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
        asyncio.run(serve(settings, worker=True, api=True, banner=banner))
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


def main() -> None:
    cli(prog_name="clearway")


if __name__ == "__main__":
    main()
