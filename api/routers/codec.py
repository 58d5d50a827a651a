"""Remote codec endpoint for the Temporal Web UI (and `temporal` CLI `--codec-endpoint`).

Only auditors may decode: everyone else sees ciphertext in the UI, which is the point.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from google.protobuf.json_format import MessageToDict, ParseDict
from pydantic import BaseModel
from temporalio.api.common.v1 import Payloads

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError
from clearway.crypto import EncryptionCodec

router = APIRouter(prefix="/codec", tags=["codec"])


class CodecPayload(BaseModel):
    metadata: dict[str, str] = {}
    data: str = ""


class CodecBody(BaseModel):
    payloads: list[CodecPayload]


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
