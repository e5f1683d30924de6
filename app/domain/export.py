"""The usage export's parameters and formats (CSV, NDJSON), without I/O.

Rows are written as they are read, a batch at a time, so the export of a month of records
never sits in memory. Money is a decimal string, times ISO 8601 in UTC, ids the GraphQL ids.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from app.domain import ids
from app.domain.money import format_nanos
from app.domain.timeconv import MAX_MICROS, MIN_MICROS, OutOfRange, checked_micros, from_micros

FORMATS = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
COLUMNS = ("id", "requestId", "occurredAt", "model", "provider", "cost", "source")


class BadExportRequest(ValueError):
    """A parameter that is missing or malformed: 400 BAD_REQUEST, naming the parameter."""


@dataclass(frozen=True)
class ExportRequest:
    key_id: int
    from_us: int  # inclusive
    to_us: int  # exclusive
    format: str


def _moment(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        return checked_micros(moment)
    except (ValueError, OutOfRange):
        raise BadExportRequest(f"{name} must be an ISO 8601 date-time with an offset, e.g. 2026-01-31T00:00:00Z") from None


def parse_request(params: Mapping[str, str]) -> ExportRequest:
    """``keyId`` (required, the key's GraphQL id), ``from`` (inclusive) and ``to`` (exclusive), both
    optional (default: every record kept), ``format`` csv (default) or ndjson."""
    raw_key = params.get("keyId")
    if not raw_key:
        raise BadExportRequest("keyId is required: the API key's id as GraphQL shows it")
    key_id = ids.decode_as("ApiKey", raw_key)
    if key_id is None:
        raise BadExportRequest("keyId is not the id of an API key")
    from_us = _moment(params, "from", MIN_MICROS)
    to_us = _moment(params, "to", MAX_MICROS + 1)
    if from_us >= to_us:
        raise BadExportRequest("from must be before to")
    export_format = params.get("format") or "csv"
    if export_format not in FORMATS:
        raise BadExportRequest("format must be csv or ndjson")
    return ExportRequest(key_id, from_us, to_us, export_format)


def as_fields(row: Mapping) -> dict:
    """A usage record row as the export shows it (the same values as GraphQL's UsageRecord)."""
    return {
        "id": ids.encode("UsageRecord", row["id"]),
        "requestId": row["request_id"],
        "occurredAt": from_micros(row["occurred_at"]).isoformat(),
        "model": row["model"],
        "provider": row["provider"],
        "cost": format_nanos(int(row["cost"])),
        "source": row["source"],
    }


def header(export_format: str) -> str:
    return _csv([COLUMNS]) if export_format == "csv" else ""


def lines(export_format: str, rows: Iterable[Mapping]) -> str:
    """One batch of rows as text: CSV rows (no header), or one JSON object per line."""
    if export_format == "csv":
        return _csv([tuple("" if v is None else v for v in as_fields(row).values()) for row in rows])
    return "".join(json.dumps(as_fields(row), ensure_ascii=False) + "\n" for row in rows)


def _csv(rows: Iterable[tuple]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()
