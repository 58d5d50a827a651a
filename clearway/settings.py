"""Process settings: one pydantic-settings class, env prefix `CLEARWAY_`.

Built once per process by `get_settings()`; nothing reads the environment at import time, so
tests can build their own `Settings(...)` and hand them down explicitly. Unset addresses mean
"start the embedded one" (`clearway up`), which is why they are optional here.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from clearway.contract import QUEUE_NAMES
from models.screening import ListFormat, ListSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / "data"


def default_sanctions_lists() -> list[ListSpec]:
    base = DATA_ROOT / "sanctions"
    return [
        ListSpec(source="ofac_sdn", format=ListFormat.OFAC_CSV, path=str(base / "ofac/sdn.csv")),
        ListSpec(
            source="ofac_cons", format=ListFormat.OFAC_CSV, path=str(base / "ofac/cons_prim.csv")
        ),
        ListSpec(source="un_sc", format=ListFormat.UN_XML, path=str(base / "un/consolidated.xml")),
    ]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARWAY_", env_file=None, extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path(".clearway")

    # Temporal
    temporal_address: str | None = None
    """host:port of a Temporal frontend; unset means `clearway up` starts the dev server."""
    temporal_namespace: str = "default"
    temporal_host: str = "127.0.0.1"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    task_queue_prefix: str = ""
    """Prepended to every task queue name, so stacks or test runs sharing a server never
    steal each other's tasks."""

    # PostgreSQL
    database_url: SecretStr | None = None
    """SQLAlchemy URL (postgresql+psycopg://...); unset means embedded PostgreSQL."""
    database_pool_size: int = 10

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_request_timeout_seconds: float = Field(default=20.0, gt=0)
    """Every request answers within this bound: past it the API answers 503 with
    Retry-After instead of waiting on a dependency that stopped answering."""

    # Security
    jwt_secret: SecretStr | None = None
    """HS256 signing secret; unset in development means one generated under data_dir."""
    jwt_issuer: str = "clearway"
    jwt_audience: str = "clearway-api"
    jwt_ttl_minutes: int = 60
    encryption_keys: SecretStr | None = None
    """Payload codec keys, `kid:base64key[,kid:base64key...]`; the first one encrypts, all
    decrypt (rotation). Unset in development means one generated under data_dir."""
    request_hmac_key: SecretStr | None = None
    """Keys the fingerprint of an application body kept in the (unencrypted) memo."""

    # Observability
    metrics_port: int | None = None
    """When set, the Temporal SDK runtime serves Prometheus metrics (worker task latencies,
    poller health, onboarding decisions) on api_host:metrics_port. The API's own HTTP
    metrics are at GET /metrics (admin role) either way."""

    # Logging
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # Screening and risk
    sanctions_lists: list[ListSpec] = Field(default_factory=default_sanctions_lists)
    screening_threshold: float = Field(default=0.70, ge=0.0, le=1.0)
    risk_model_path: Path = DATA_ROOT / "risk" / "risk_model.yaml"

    # Case handling
    review_sla_hours: float = Field(default=24.0, gt=0)
    """Time an officer has to decide a referred case before it escalates."""
    information_timeout_days: float = Field(default=14.0, gt=0)
    """Time an applicant has to answer a request for information before rejection."""

    # Ledger
    hold_expiry_interval_seconds: int = Field(default=30, ge=0)
    """How often a Temporal Schedule runs `HoldExpiryWorkflow`, which releases two-phase
    holds whose timeout passed: a hold is released at most this long (plus one run) after
    it expires. A starting ledger worker creates or updates the schedule; with 0 it leaves
    the schedule alone (none is created; delete an existing one with `temporal schedule
    delete`), for deployments that run `clearway ledger expire` themselves."""

    worker_queues: list[str] = Field(default_factory=lambda: list(QUEUE_NAMES))

    def queue(self, name: str) -> str:
        if name not in QUEUE_NAMES:
            raise ValueError(f"unknown task queue {name!r}")
        return f"{self.task_queue_prefix}{name}"

    @property
    def review_sla(self) -> dt.timedelta:
        return dt.timedelta(hours=self.review_sla_hours)

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"{self.temporal_host}:{self.temporal_port}"

    @property
    def secrets_file(self) -> Path:
        return self.data_dir / "secrets.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
