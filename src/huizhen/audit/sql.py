"""The audit store over any SQL database: the logic both backends share.

Append-only is enforced by the database itself: triggers abort any UPDATE or
DELETE on events, cards and feedback, so a bug (or a hurried operator with a
SQL shell) cannot rewrite history without dropping the triggers first — and
the hash chain (each event hashes its content with the previous event's hash)
shows it if they do.  Appending takes the database's write lock first, so
"read the last hash, append" is one step across every process sharing it.

Backends supply a connection, a write transaction and their schema; the SQL
here is written once, in the subset SQLite and PostgreSQL share, with ``?``
placeholders that a backend may rewrite.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from huizhen.audit.model import (
    AuditEvent,
    FeedbackEntry,
    OverrideRate,
    ShownCard,
    StoredEvent,
    canonical_json,
    input_hash,
)
from huizhen.errors import KnowledgeError, NotFoundError

GENESIS = "0" * 64
APPEND_ONLY = ("events", "cards", "feedback")


def tables_ddl(serial: str, real: str) -> str:
    """The audit tables, one definition for every backend; only the column types of the
    event sequence (``serial``) and of floating-point times (``real``) differ."""
    return _TABLES.replace("{serial}", serial).replace("{real}", real)


_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq {serial},
  id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  tenant TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  service TEXT,
  input_hash TEXT NOT NULL,
  patient TEXT,
  knowledge TEXT NOT NULL,
  shown TEXT NOT NULL,
  decided TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_tenant ON events (tenant, seq);
CREATE TABLE IF NOT EXISTS cards (
  tenant TEXT NOT NULL,
  uuid TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES events (id),
  at TEXT NOT NULL,
  alert_type TEXT NOT NULL,
  indicator TEXT NOT NULL,
  summary TEXT NOT NULL,
  suggestions TEXT NOT NULL,
  PRIMARY KEY (tenant, uuid)
);
CREATE TABLE IF NOT EXISTS feedback (
  tenant TEXT NOT NULL,
  card TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  outcome_at TEXT NOT NULL,
  accepted TEXT NOT NULL,
  reason_code TEXT,
  reason_system TEXT,
  reason_display TEXT,
  comment TEXT,
  event_id TEXT NOT NULL REFERENCES events (id),
  PRIMARY KEY (tenant, card, outcome, outcome_at)
);
CREATE TABLE IF NOT EXISTS nonces (
  issuer TEXT NOT NULL, jti TEXT NOT NULL, expires_at {real} NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_hash(prev: str, row: dict[str, Any]) -> str:
    return hashlib.sha256((prev + canonical_json(row)).encode("utf-8")).hexdigest()


class SQLAuditStore:
    """Shared behaviour; subclasses implement ``_run``, ``_write`` and ``close``."""

    #: A label for messages (the file path or the database URL without password).
    where: str = ""
    _key: bytes = b""

    #: Seconds between two prunings of expired JWT ids (a pruned id is refused by its ``exp``
    #: anyway; pruning on every call made each hook call scan the table).
    NONCE_PRUNE_EVERY = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_prune = 0.0

    # -- backend hooks -----------------------------------------------------------

    def _run(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Execute and return a cursor whose rows support ``row["column"]``."""
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[None]:
        """A transaction holding the database's write lock."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- writing -----------------------------------------------------------------

    def _append_locked(self, event: AuditEvent) -> StoredEvent:
        last = self._run("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last["hash"] if last else GENESIS
        event_id, at = str(uuid.uuid4()), now_iso()
        row = {
            "id": event_id, "at": at, "tenant": event.tenant, "actor": event.actor,
            "action": event.action, "service": event.service, "input_hash": event.input_hash,
            "patient": event.patient, "knowledge": event.knowledge, "shown": event.shown,
            "decided": event.decided,
        }
        digest = event_hash(prev, row)
        seq = self._run(
            "INSERT INTO events (id, at, tenant, actor, action, service, input_hash, patient, "
            "knowledge, shown, decided, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "RETURNING seq",
            (event_id, at, event.tenant, event.actor, event.action, event.service,
             event.input_hash, event.patient, canonical_json(event.knowledge),
             canonical_json(event.shown),
             None if event.decided is None else canonical_json(event.decided), prev, digest),
        ).fetchone()["seq"]
        return StoredEvent(seq=int(seq), id=event_id, at=at, event=event, hash=digest)

    def append(self, event: AuditEvent, cards: list[ShownCard] | None = None) -> StoredEvent:
        with self._lock, self._write():
            stored = self._append_locked(event)
            for card in cards or []:
                self._run(
                    "INSERT INTO cards (tenant, uuid, event_id, at, alert_type, indicator, "
                    "summary, suggestions) VALUES (?,?,?,?,?,?,?,?)",
                    (event.tenant, card.uuid, stored.id, stored.at, card.alert_type,
                     card.indicator, card.summary, json.dumps(card.suggestions)),
                )
        return stored

    def record_feedback(
        self, tenant: str, actor: str, service: str | None, entries: list[FeedbackEntry]
    ) -> list[bool]:
        fresh: list[bool] = []
        with self._lock, self._write():
            for index, entry in enumerate(entries):
                card = self._card_locked(tenant, entry.card)
                if card is None:
                    raise NotFoundError("no card with this uuid was shown to this tenant",
                                        field=f"feedback[{index}].card", value=entry.card)
                unknown = sorted(set(entry.accepted_suggestions) - set(card.suggestions))
                if unknown:
                    raise NotFoundError("the card has no suggestion with this uuid",
                                        field=f"feedback[{index}].acceptedSuggestions",
                                        value=unknown[0])
                seen = self._run(
                    "SELECT 1 AS one FROM feedback WHERE tenant=? AND card=? AND outcome=? "
                    "AND outcome_at=?", (tenant, entry.card, entry.outcome, entry.outcome_at),
                ).fetchone()
                if seen:
                    fresh.append(False)
                    continue
                decided = {
                    "card": entry.card, "alert_type": card.alert_type, "outcome": entry.outcome,
                    "outcome_at": entry.outcome_at,
                    "accepted_suggestions": entry.accepted_suggestions,
                    "reason": {"code": entry.reason_code, "system": entry.reason_system,
                               "display": entry.reason_display},
                    "comment": entry.comment,
                }
                stored = self._append_locked(AuditEvent(
                    tenant=tenant, actor=actor, action="feedback", service=service,
                    input_hash=input_hash(decided), decided=decided,
                ))
                self._run(
                    "INSERT INTO feedback (tenant, card, outcome, outcome_at, accepted, "
                    "reason_code, reason_system, reason_display, comment, event_id) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (tenant, entry.card, entry.outcome, entry.outcome_at,
                     json.dumps(entry.accepted_suggestions), entry.reason_code,
                     entry.reason_system, entry.reason_display, entry.comment, stored.id),
                )
                fresh.append(True)
        return fresh

    def claim_nonce(self, issuer: str, jti: str, expires_at: float) -> bool:
        with self._lock, self._write():
            now = time.time()
            if now >= self._next_prune:
                self._run("DELETE FROM nonces WHERE expires_at < ?", (now,))
                self._next_prune = now + self.NONCE_PRUNE_EVERY
            row = self._run(
                "INSERT INTO nonces (issuer, jti, expires_at) VALUES (?,?,?) "
                "ON CONFLICT DO NOTHING RETURNING jti", (issuer, jti, expires_at)).fetchone()
        return row is not None

    # -- reading -----------------------------------------------------------------

    def _card_locked(self, tenant: str, uuid_: str) -> ShownCard | None:
        row = self._run(
            "SELECT uuid, alert_type, indicator, summary, suggestions FROM cards "
            "WHERE tenant=? AND uuid=?", (tenant, uuid_)).fetchone()
        if row is None:
            return None
        return ShownCard(uuid=row["uuid"], alert_type=row["alert_type"],
                         indicator=row["indicator"], summary=row["summary"],
                         suggestions=json.loads(row["suggestions"]))

    def card(self, tenant: str, uuid: str) -> ShownCard | None:
        with self._lock:
            return self._card_locked(tenant, uuid)

    def events(self, tenant: str, *, action: str | None = None, limit: int = 100) -> list[StoredEvent]:
        sql = "SELECT * FROM events WHERE tenant=?"
        args: list[Any] = [tenant]
        if action is not None:
            sql += " AND action=?"
            args.append(action)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._run(sql, args).fetchall()
        return [stored_event(row) for row in rows]

    def override_rates(self, tenant: str, *, since: str | None = None) -> list[OverrideRate]:
        """Per alert type: cards shown, and each card's latest decision."""
        window = "AND c.at >= ?" if since else ""
        args: list[Any] = [tenant, tenant] + ([since] if since else [])
        latest = """
            WITH latest AS (
              SELECT card, outcome,
                     COALESCE(reason_display, reason_code, '(no reason)') AS reason,
                     ROW_NUMBER() OVER (PARTITION BY card ORDER BY outcome_at DESC) AS n
              FROM feedback WHERE tenant = ?)"""
        counts = f"""{latest}
            SELECT c.alert_type AS alert_type, COUNT(*) AS shown,
                   SUM(CASE WHEN l.outcome = 'accepted' THEN 1 ELSE 0 END) AS accepted,
                   SUM(CASE WHEN l.outcome = 'overridden' THEN 1 ELSE 0 END) AS overridden
            FROM cards c LEFT JOIN latest l ON l.card = c.uuid AND l.n = 1
            WHERE c.tenant = ? {window}
            GROUP BY c.alert_type ORDER BY c.alert_type"""
        reasons_sql = f"""{latest}
            SELECT c.alert_type AS alert_type, l.reason AS reason, COUNT(*) AS k
            FROM cards c JOIN latest l ON l.card = c.uuid AND l.n = 1
            WHERE c.tenant = ? {window} AND l.outcome = 'overridden'
            GROUP BY c.alert_type, l.reason ORDER BY k DESC, reason"""
        with self._lock:
            rows = self._run(counts, args).fetchall()
            reason_rows = self._run(reasons_sql, args).fetchall()
        reasons: dict[str, dict[str, int]] = {}
        for row in reason_rows:
            reasons.setdefault(row["alert_type"], {})[row["reason"]] = int(row["k"])
        out = []
        for row in rows:
            accepted, overridden = int(row["accepted"] or 0), int(row["overridden"] or 0)
            decided = accepted + overridden
            out.append(OverrideRate(
                alert_type=row["alert_type"], shown=int(row["shown"]), accepted=accepted,
                overridden=overridden,
                override_rate=round(overridden / decided, 4) if decided else None,
                reasons=reasons.get(row["alert_type"], {}),
            ))
        return out

    def pseudonym_key(self) -> bytes:
        return self._key

    def _iter_rows(self) -> Iterator[Any]:
        with self._lock:
            rows = self._run("SELECT * FROM events ORDER BY seq").fetchall()
        yield from rows

    def verify_chain(self) -> int:
        prev, count = GENESIS, 0
        for row in self._iter_rows():
            stored = stored_event(row)
            e = stored.event
            content = {
                "id": stored.id, "at": stored.at, "tenant": e.tenant, "actor": e.actor,
                "action": e.action, "service": e.service, "input_hash": e.input_hash,
                "patient": e.patient, "knowledge": e.knowledge, "shown": e.shown,
                "decided": e.decided,
            }
            if row["prev_hash"] != prev or event_hash(prev, content) != row["hash"]:
                raise KnowledgeError("audit chain broken", source=self.where, field="seq",
                                     value=row["seq"])
            prev, count = row["hash"], count + 1
        return count


def stored_event(row: Any) -> StoredEvent:
    event = AuditEvent(
        tenant=row["tenant"], actor=row["actor"], action=row["action"], service=row["service"],
        input_hash=row["input_hash"], patient=row["patient"],
        knowledge=json.loads(row["knowledge"]), shown=json.loads(row["shown"]),
        decided=None if row["decided"] is None else json.loads(row["decided"]),
    )
    return StoredEvent(seq=int(row["seq"]), id=row["id"], at=row["at"], event=event,
                       hash=row["hash"])
