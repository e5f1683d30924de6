"""Automatic persisted queries (Apollo's APQ): a client sends only the sha256 of a document it
sent before; keyplane keeps recent documents in memory, per organization and per instance.

A hash-only request for a document this instance does not have is answered with
PERSISTED_QUERY_NOT_FOUND, and the client (``PersistedQueryLink``) sends it again with the
document. Keeping them per organization means no tenant can learn, by probing hashes, which
documents another one runs. The map is bounded (least recently used documents go first).
"""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from app.graphql_request import HttpError, RequestError

MAX_DOCUMENTS = 1000
MAX_DOCUMENT_CHARS = 64 * 1024  # a longer document still runs, but is not remembered: 1000 x 64 KiB at most
_SHA256 = re.compile(r"[0-9a-f]{64}")


def not_found() -> RequestError:
    # Apollo's clients match on this exact message and code
    return RequestError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


class PersistedQueries:
    def __init__(self, max_documents: int = MAX_DOCUMENTS) -> None:
        self.max_documents = max_documents
        self._documents: OrderedDict[tuple[int, str], str] = OrderedDict()

    def resolve(self, org_id: int, query: object, extensions: dict | None) -> object:
        """The document to run: ``query`` itself when the request is not persisted, else the one its
        hash names (remembered when the request carries it, and only when the hash matches)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise HttpError(400, "extensions.persistedQuery must be {version: 1, sha256Hash}")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise HttpError(400, "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits")
        slot = (org_id, digest)
        if query is None:
            document = self._documents.get(slot)
            if document is None:
                raise not_found()
            self._documents.move_to_end(slot)
            return document
        if not isinstance(query, str):
            return query  # the request's own checks refuse it
        if hashlib.sha256(query.encode("utf-8")).hexdigest() != digest:
            raise HttpError(400, "provided sha256Hash does not match the query")
        if len(query) > MAX_DOCUMENT_CHARS:
            return query
        self._documents[slot] = query
        self._documents.move_to_end(slot)
        while len(self._documents) > self.max_documents:
            self._documents.popitem(last=False)
        return query
