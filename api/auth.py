"""Bearer JWT authentication with a `roles` claim; every route declares the roles it admits.

HS256 with a shared secret by default (development and single-tenant deployments); the
secret comes from settings or the generated development secrets file, never from code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError

ROLES = ("portal", "officer", "senior_officer", "auditor", "admin")
ALGORITHM = "HS256"

_bearer = HTTPBearer(auto_error=False, description="JWT minted by `clearway token`")


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]

    def acting_role(self, admitted: tuple[str, ...]) -> str:
        """The strongest admitted role held: a senior officer acts as senior officer."""
        for role in sorted(admitted, key=lambda r: (r != "senior_officer", r)):
            if role in self.roles:
                return role
        raise ValueError("principal holds none of the admitted roles")


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: list[str],
    issuer: str,
    audience: str,
    ttl: dt.timedelta,
) -> str:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def decode_token(token: str, secret: str, *, issuer: str, audience: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _unauthorized("invalid token: 'roles' must be a list of strings")
    return Principal(subject=str(claims["sub"]), roles=frozenset(roles))


def require_roles(*admitted: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: 401 without a valid token, 403 when the token lacks every admitted role."""

    async def dependency(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        # `Depends(_bearer)` (not a direct call) puts the bearer scheme in the OpenAPI
        # document, so the contract says every route needs a token.
        if creds is None:
            raise _unauthorized("missing bearer token")
        state = request.app.state
        principal = decode_token(
            creds.credentials,
            state.secrets.jwt_secret,
            issuer=state.settings.jwt_issuer,
            audience=state.settings.jwt_audience,
        )
        if not principal.roles & set(admitted):
            raise ApiError(
                403,
                "forbidden",
                f"this operation requires one of the roles: {', '.join(admitted)}",
            )
        return principal

    return dependency
