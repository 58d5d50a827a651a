"""Run Alembic migrations programmatically, so `clearway migrate` needs no alembic.ini."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from clearway.db import database_url
from clearway.settings import REPO_ROOT, Settings

MIGRATIONS_DIR = REPO_ROOT / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url(settings).replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)
