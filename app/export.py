"""HTTP adapter of the usage export: ``GET /v1/export/usage`` with a management token, streamed.

Errors before the first byte are the /v1 shape ``{"error": {"code", "message"}}``: 401/403 for
the token, 400 BAD_REQUEST for parameters, 404 NOT_FOUND for a key the caller cannot see.
"""
from __future__ import annotations

from typing import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.domain import export as formats, ids
from app.http_errors import error_response
from app.services import export as export_service
from app.services.callers import Tenant
from app.services.errors import Refused


def endpoint(tokens):
    async def export_usage(request: Request) -> Response:
        caller = await tokens.caller(request.headers.get("authorization"))
        if caller is None:
            return error_response(401, "UNAUTHENTICATED", "a valid management token is required: Authorization: Bearer kpm_…")
        if not isinstance(caller, Tenant):
            return error_response(403, "FORBIDDEN", "gateway tokens may only use the data plane: use a management token")
        try:
            wanted = formats.parse_request(request.query_params)
        except formats.BadExportRequest as exc:
            return error_response(400, "BAD_REQUEST", str(exc))
        try:
            await export_service.check_key(caller, wanted)
        except Refused as exc:
            return error_response(404, "NOT_FOUND", exc.errors[0].message)
        name = f"usage-{ids.encode('ApiKey', wanted.key_id)}.{wanted.format}"
        return StreamingResponse(_body(wanted), media_type=formats.FORMATS[wanted.format],
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return export_usage


async def _body(wanted) -> AsyncIterator[bytes]:
    first = formats.header(wanted.format)
    if first:
        yield first.encode()
    async for rows in export_service.record_batches(wanted):
        yield formats.lines(wanted.format, rows).encode()
