"""Development secrets: generated once per data dir, never written in code.

In production every secret must come from settings (environment or a secret store); this
module refuses to invent one there. In development, `clearway up`, `clearway token`, the
worker and the API all read the same generated file, so a token minted by the CLI is
accepted by the API the CLI started.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass

from clearway.crypto import KeyRing
from clearway.settings import Settings


class MissingSecretError(RuntimeError):
    pass


@dataclass(frozen=True)
class Secrets:
    jwt_secret: str
    encryption_keys: str
    request_hmac_key: str


def _load_or_create_dev_file(settings: Settings) -> dict[str, str]:
    path = settings.secrets_file
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "jwt_secret": secrets.token_urlsafe(48),
        "encryption_keys": KeyRing.generate_spec("dev1"),
        "request_hmac_key": secrets.token_urlsafe(32),
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    try:
        os.link(tmp, path)  # atomic and fails if another process won the race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return dict(json.loads(path.read_text()))


def resolve_secrets(settings: Settings) -> Secrets:
    configured = {
        "jwt_secret": settings.jwt_secret,
        "encryption_keys": settings.encryption_keys,
        "request_hmac_key": settings.request_hmac_key,
    }
    values = {k: v.get_secret_value() for k, v in configured.items() if v is not None}
    missing = [k for k in configured if k not in values]
    if missing:
        if settings.environment == "production":
            names = ", ".join(f"CLEARWAY_{k.upper()}" for k in missing)
            raise MissingSecretError(f"production requires {names} to be set")
        generated = _load_or_create_dev_file(settings)
        for key in missing:
            values[key] = generated[key]
    return Secrets(**values)
