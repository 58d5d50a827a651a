"""What every command group needs from the click context: the process settings."""

from __future__ import annotations

import click

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
