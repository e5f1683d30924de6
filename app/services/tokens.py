"""Management and gateway tokens: created, listed and revoked by the operator; checked on every request."""
from __future__ import annotations

from dataclasses import dataclass


from app import models
from app.domain import ids, names, secrets
from app.domain.audit import OPERATOR, Actor, AuditAction, diff, time_text
from app.domain.timeconv import to_micros
from app.services.callers import Caller, Gateway, Tenant
from app.services.errors import ErrorCode, refuse
from app.store import audit, changes

MANAGEMENT = "management"
GATEWAY = "gateway"
# last-use times are informative: write them at most this often per token
LAST_USE_RESOLUTION_US = 60 * 1_000_000


@dataclass(frozen=True)
class CreatedToken:
    id: int
    secret: str


def _label(raw: str | None) -> str:
    if raw is None or raw == "":
        return ""
    try:
        return names.clean_name(raw)
    except names.NameError_ as exc:
        raise refuse(ErrorCode.VALIDATION, "label", f"label {exc}") from None


def _audited(token: models.Token) -> dict:
    """What the audit log shows of a token: never its secret, hash or hint."""
    return {"kind": token.kind, "label": token.label or None, "revokedAt": time_text(token.revoked_at)}


async def _record(tx, token: models.Token, action: AuditAction, before, after, actor: Actor, now_us: int) -> None:
    # a gateway token belongs to no organization: its events are for operators (no tenant sees them)
    await audit.record(tx, org_id=token.org_id, actor=actor, action=action, target_id=ids.encode("Token", token.id),
                       project_id=None, changes=diff(before, after), now_us=now_us)


async def create(clock, kind: str, org_id: int | None, label: str | None = None, actor: Actor = OPERATOR) -> CreatedToken:
    prefix = secrets.MANAGEMENT_PREFIX if kind == MANAGEMENT else secrets.GATEWAY_PREFIX
    secret = secrets.generate(prefix)
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        token = await models.Token.create(
            using_db=tx,
            kind=kind,
            org_id=org_id,
            label=_label(label),
            token_hash=secrets.hash_secret(secret),
            hint=f"{secret[:len(prefix) + 4]}…{secret[-4:]}",
            created_at=now_us,
        )
        await _record(tx, token, AuditAction.TOKEN_CREATED, None, _audited(token), actor, now_us)
    return CreatedToken(token.id, secret)


async def list_tokens(org_id: int | None = None) -> list[models.Token]:
    query = models.Token.all().order_by("id")
    if org_id is not None:
        query = query.filter(org_id=org_id)
    return await query


async def revoke(clock, token_or_id: str, actor: Actor = OPERATOR) -> models.Token:
    """Revoke by the secret itself or by the numeric id shown in `token list`."""
    value = token_or_id.strip()
    if value.startswith((secrets.MANAGEMENT_PREFIX, secrets.GATEWAY_PREFIX)):
        token = await models.Token.get_or_none(token_hash=secrets.hash_secret(value))
    elif value.isascii() and value.isdigit() and len(value) <= 18:
        token = await models.Token.get_or_none(id=int(value))
    else:
        token = None
    if token is None:
        raise refuse(ErrorCode.NOT_FOUND, "token", "no such token")
    if token.revoked_at is None:
        now_us = to_micros(clock.now())
        before = _audited(token)
        async with changes.write() as tx:
            await models.Token.filter(id=token.id).using_db(tx).update(revoked_at=now_us)
            await changes.emit(tx, changes.TOKEN, token.id, now_us)
            token.revoked_at = now_us
            await _record(tx, token, AuditAction.TOKEN_REVOKED, before, _audited(token), actor, now_us)
    return token


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def authenticate(clock, secret: str | None) -> Caller | None:
    """The caller a token stands for, or None (unknown, revoked or malformed)."""
    if not secret or len(secret) > 200 or not secret.startswith((secrets.MANAGEMENT_PREFIX, secrets.GATEWAY_PREFIX)):
        return None
    token = await models.Token.get_or_none(token_hash=secrets.hash_secret(secret))
    if token is None or token.revoked_at is not None:
        return None
    now_us = to_micros(clock.now())
    if token.last_used_at is None or now_us - token.last_used_at >= LAST_USE_RESOLUTION_US:
        await models.Token.filter(id=token.id).update(last_used_at=now_us)
    if token.kind == MANAGEMENT and token.org_id is not None:
        return Tenant(org_id=token.org_id, token_id=token.id, label=token.label or None)
    if token.kind == GATEWAY:
        return Gateway(token_id=token.id)
    return None


def describe(token: models.Token) -> dict:
    return {
        "id": token.id,
        "kind": token.kind,
        "orgId": ids.encode("Organization", token.org_id) if token.org_id else None,
        "label": token.label,
        "hint": token.hint,
        "createdAt": token.created_at,
        "lastUsedAt": token.last_used_at,
        "revokedAt": token.revoked_at,
    }
