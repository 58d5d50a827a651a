"""One way to build a Temporal client: pydantic payloads, encrypted, for every process."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from clearway.crypto import EncryptionCodec, KeyRing
from clearway.secrets import resolve_secrets
from clearway.settings import Settings


def build_codec(settings: Settings) -> EncryptionCodec:
    return EncryptionCodec(KeyRing.parse(resolve_secrets(settings).encryption_keys))


def build_data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted; failure messages and stack traces are moved into an
    encoded (so encrypted) attribute too, since an error can quote the input it rejected."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=build_codec(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


_RUNTIMES: dict[str, Runtime] = {}


def runtime_for(settings: Settings) -> Runtime | None:
    """One Temporal runtime per metrics endpoint and process: a Prometheus port can be bound
    once, and the API and worker of `clearway up` share the process."""
    if settings.metrics_port is None:
        return None
    bind = f"{settings.api_host}:{settings.metrics_port}"
    if bind not in _RUNTIMES:
        _RUNTIMES[bind] = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=bind, durations_as_seconds=True),
                global_tags={"service": "clearway"},
            )
        )
    return _RUNTIMES[bind]


async def connect(settings: Settings, target: str | None = None) -> Client:
    return await Client.connect(
        target or settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=build_data_converter(settings),
        runtime=runtime_for(settings),
    )
