"""Operator commands find the database as the README says: CLEARWAY_DATABASE_URL, else the
embedded PostgreSQL that `make up` runs, else a one-line error (no traceback)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pydantic import SecretStr

from clearway.embedded import embedded_postgres, running_embedded_postgres
from clearway.migrate import upgrade
from clearway.settings import Settings
from cli.ledger import ledger


def test_without_a_database_the_command_says_how_to_get_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        ledger, ["verify"], obj=Settings(data_dir=tmp_path, database_url=None)
    )
    assert result.exit_code == 2  # never 1, which means "books do not balance"
    assert "CLEARWAY_DATABASE_URL" in result.output and "make up" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert running_embedded_postgres(tmp_path / "postgres") is None


def test_the_embedded_postgresql_of_a_running_platform_is_found(tmp_path: Path) -> None:
    """`clearway up` runs its PostgreSQL under <data_dir>/postgres; a second terminal's
    `clearway ledger verify` uses it without any URL being exported."""
    with embedded_postgres(tmp_path / "postgres") as url:
        upgrade(Settings(database_url=SecretStr(url)))
        assert running_embedded_postgres(tmp_path / "postgres") == url
        result = CliRunner().invoke(
            ledger, ["verify"], obj=Settings(data_dir=tmp_path, database_url=None)
        )
    assert result.exit_code == 0, result.output
    assert "clean" in result.output
    assert running_embedded_postgres(tmp_path / "postgres") is None  # stopped: not found
