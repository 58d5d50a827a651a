"""Typed accessors for what the lifespan put on `app.state`."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from clearway.crypto import EncryptionCodec
from clearway.secrets import Secrets
from clearway.settings import Settings


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def temporal(request: Request) -> Client:
    value: Client = request.app.state.temporal
    return value


def sessions(request: Request) -> sessionmaker[Session]:
    value: sessionmaker[Session] = request.app.state.sessions
    return value


def codec(request: Request) -> EncryptionCodec:
    value: EncryptionCodec = request.app.state.codec
    return value


def secrets(request: Request) -> Secrets:
    value: Secrets = request.app.state.secrets
    return value
