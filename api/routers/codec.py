"""Remote codec endpoint for the Temporal Web UI (and `temporal` CLI `--codec-endpoint`).

Only auditors may decode: everyone else sees ciphertext in the UI, which is the point.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from google.protobuf.json_format import MessageToDict, ParseDict
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payloads

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError
from clearway.crypto import EncryptionCodec

router = APIRouter(prefix="/codec", tags=["codec"])


BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64 = Annotated[str, Field(pattern=BASE64_PATTERN)]


class CodecPayload(BaseModel):
    """A Temporal payload in proto3 JSON: metadata values and data are base64 bytes."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, Base64] = {}
    data: Base64 = ""


class CodecBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payloads: Annotated[list[CodecPayload], Field(max_length=1000)]


def _to_proto(body: CodecBody) -> Payloads:
    try:
        return ParseDict(body.model_dump(), Payloads())
    except Exception as exc:
        raise ApiError(422, "invalid_request", f"payloads are not valid: {exc}") from exc


def _from_proto(payloads: Payloads) -> CodecBody:
    # proto3 JSON omits empty fields, so an empty list has no "payloads" key at all.
    return CodecBody(payloads=MessageToDict(payloads).get("payloads", []))


@router.post("/decode", response_model=CodecBody)
async def decode(
    body: CodecBody,
    _: Annotated[Principal, Depends(require_roles("auditor"))],
    codec: Annotated[EncryptionCodec, Depends(deps.codec)],
) -> CodecBody:
    proto = _to_proto(body)
    try:
        decoded = await codec.decode(proto.payloads)
    except ValueError as exc:
        raise ApiError(422, "undecodable", str(exc)) from exc
    return _from_proto(Payloads(payloads=decoded))


@router.post("/encode", response_model=CodecBody)
async def encode(
    body: CodecBody,
    _: Annotated[Principal, Depends(require_roles("auditor"))],
    codec: Annotated[EncryptionCodec, Depends(deps.codec)],
) -> CodecBody:
    encoded = await codec.encode(_to_proto(body).payloads)
    return _from_proto(Payloads(payloads=encoded))
