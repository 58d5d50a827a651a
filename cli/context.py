"""What every command group needs from the click context: the process settings."""

from __future__ import annotations

import click
from pydantic import SecretStr

from clearway.logging import configure_logging
from clearway.settings import Settings, get_settings


def command_settings(ctx: click.Context) -> Settings:
    """Tests hand their settings in as the context object; a terminal uses the env."""
    given = ctx.find_object(Settings)
    if given is not None:
        return given
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


class NoDatabase(click.ClickException):
    """Exit status 2, so that a missing database is never read as `ledger verify`'s 1."""

    exit_code = 2


def database_settings(ctx: click.Context) -> Settings:
    """For commands that only need PostgreSQL: CLEARWAY_DATABASE_URL when it is set, else the
    embedded server that `make up` (`clearway up`) is running under the data directory, so
    the README's second terminal works as written; otherwise a one-line error, not a
    traceback."""
    from clearway.embedded import running_embedded_postgres

    settings = command_settings(ctx)
    if settings.database_url is not None:
        return settings
    url = running_embedded_postgres(settings.data_dir / "postgres")
    if url is None:
        raise NoDatabase(
            "no database: set CLEARWAY_DATABASE_URL, or start the platform with `make up` "
            f"(its embedded PostgreSQL under {settings.data_dir / 'postgres'} is then used)"
        )
    return settings.model_copy(update={"database_url": SecretStr(url)})
