"""The audit store on both backends: append-only, hash-chained, tenant-scoped, idempotent."""

from __future__ import annotations

import sqlite3

import pytest

from huizhen.audit import (
    AuditEvent,
    FeedbackEntry,
    OverrideRate,
    ShownCard,
    input_hash,
    open_audit_store,
    pseudonymise,
)
from huizhen.errors import ConfigError, KnowledgeError, NotFoundError


@pytest.fixture()
def store(audit_url: str):
    store = open_audit_store(audit_url)
    yield store
    store.close()


def _raw(store):
    """A second, plain connection to the same database, as an operator's SQL shell."""
    if store.where.startswith("postgresql"):
        import psycopg

        db = psycopg.connect(store._db.info.dsn, autocommit=True)
        db.execute("SET search_path TO huizhen_audit")
        return db, psycopg.errors.RaiseException
    return sqlite3.connect(store.where, isolation_level=None), sqlite3.IntegrityError


def _event(tenant: str = "a", action: str = "cds-hook:order-sign") -> AuditEvent:
    return AuditEvent(tenant=tenant, actor="https://ehr/", action=action,
                      input_hash=input_hash({"x": 1}), patient="hmac-sha256:abc",
                      service="huizhen-order-sign", knowledge={"huizhen": "0.1.0"},
                      shown=[{"card": "c1", "summary": "Warfarin + aspirin"}])


def _card(uuid: str, alert_type: str = "interaction") -> ShownCard:
    return ShownCard(uuid=uuid, alert_type=alert_type, indicator="critical",
                     summary="Warfarin + aspirin: bleeding risk", suggestions=[f"{uuid}-s1"])


def test_events_are_chained_and_read_back_whole(store) -> None:
    first = store.append(_event())
    second = store.append(_event(action="medication-check"))
    assert second.seq == first.seq + 1
    read = store.events("a")
    assert [e.id for e in read] == [second.id, first.id]
    assert read[1].to_dict() == {
        "seq": first.seq, "id": first.id, "at": first.at, "tenant": "a", "actor": "https://ehr/",
        "action": "cds-hook:order-sign", "service": "huizhen-order-sign",
        "input_hash": input_hash({"x": 1}), "patient": "hmac-sha256:abc",
        "knowledge": {"huizhen": "0.1.0"},
        "shown": [{"card": "c1", "summary": "Warfarin + aspirin"}], "decided": None,
        "hash": first.hash,
    }
    assert store.events("a", action="medication-check")[0].id == second.id
    assert store.verify_chain() == 2


def test_the_database_refuses_updates_and_deletes(store) -> None:
    store.append(_event(), [_card("c1")])
    db, refused = _raw(store)
    for sql in ("UPDATE events SET actor = 'me'", "DELETE FROM events",
                "UPDATE cards SET alert_type = 'x'", "DELETE FROM cards"):
        with pytest.raises(refused, match="append-only"):
            db.execute(sql)
    db.close()


def test_a_tampered_chain_is_detected(store) -> None:
    store.append(_event())
    store.append(_event())
    db, _ = _raw(store)
    if store.where.startswith("postgresql"):
        db.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    else:
        db.execute("DROP TRIGGER events_no_update")
    first = store.events("a")[-1].seq
    db.execute(f"UPDATE events SET actor = 'someone else' WHERE seq = {first}")
    db.close()
    with pytest.raises(KnowledgeError, match=f"seq={first}: audit chain broken"):
        store.verify_chain()


def test_feedback_is_idempotent_and_feeds_override_rates(store) -> None:
    store.append(_event(), [_card("c1"), _card("c2"), _card("c3", "allergy")])
    over = FeedbackEntry(card="c1", outcome="overridden", outcome_at="2026-11-29T10:00:00Z",
                         reason_code="benefit", reason_display="Benefit outweighs risk")
    accept = FeedbackEntry(card="c2", outcome="accepted", outcome_at="2026-11-29T10:01:00Z",
                           accepted_suggestions=["c2-s1"])
    assert store.record_feedback("a", "dr", "huizhen-order-sign", [over, accept]) == [True, True]
    assert store.record_feedback("a", "dr", "huizhen-order-sign", [over]) == [False]
    assert len(store.events("a", action="feedback")) == 2
    assert store.override_rates("a") == [
        OverrideRate(alert_type="allergy", shown=1, accepted=0, overridden=0, override_rate=None),
        OverrideRate(alert_type="interaction", shown=2, accepted=1, overridden=1,
                     override_rate=0.5, reasons={"Benefit outweighs risk": 1}),
    ]
    assert store.override_rates("a", since="2999-01-01") == []


def test_feedback_for_an_unknown_or_foreign_card_stores_nothing(store) -> None:
    store.append(_event("a"), [_card("c1")])
    good = FeedbackEntry(card="c1", outcome="overridden", outcome_at="2026-11-29T10:00:00Z")
    foreign = FeedbackEntry(card="c1", outcome="overridden", outcome_at="2026-11-29T10:00:00Z")
    with pytest.raises(NotFoundError, match=r"feedback\[0\]\.card='c1': no card"):
        store.record_feedback("b", "dr", None, [foreign])
    with pytest.raises(NotFoundError, match=r"feedback\[1\]\.card='zz'"):
        store.record_feedback("a", "dr", None, [good, FeedbackEntry(
            card="zz", outcome="accepted", outcome_at="2026-11-29T10:00:00Z")])
    with pytest.raises(NotFoundError, match=r"acceptedSuggestions='nope'"):
        store.record_feedback("a", "dr", None, [FeedbackEntry(
            card="c1", outcome="accepted", outcome_at="t", accepted_suggestions=["nope"])])
    assert store.events("a", action="feedback") == []
    assert store.override_rates("a")[0].overridden == 0


def test_tenants_see_only_their_own_records(store) -> None:
    store.append(_event("a"), [_card("c1")])
    store.append(_event("b"), [_card("c1")])  # the same card uuid in another tenant is separate
    assert [e.event.tenant for e in store.events("b")] == ["b"]
    assert store.card("b", "c1") is not None and store.card("c", "c1") is None


def test_nonces_are_claimed_once_across_connections(store, audit_url: str) -> None:
    import time

    other = open_audit_store(audit_url)
    try:
        assert store.claim_nonce("iss", "j1", time.time() + 60) is True
        assert other.claim_nonce("iss", "j1", time.time() + 60) is False
        assert other.claim_nonce("iss", "j2", time.time() + 60) is True
        assert other.pseudonym_key() == store.pseudonym_key()
    finally:
        other.close()


def test_expired_nonces_are_pruned_now_and_then(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    assert store.claim_nonce("iss", "old", clock[0] + 10) is True  # first call prunes
    clock[0] += 20  # "old" has expired, but the next pruning is not due yet
    assert store.claim_nonce("iss", "new", clock[0] + 10) is True
    assert store.claim_nonce("iss", "old", clock[0] + 10) is False
    clock[0] += store.NONCE_PRUNE_EVERY  # due: expired ids go, live ones stay
    assert store.claim_nonce("iss", "newer", clock[0] + 100) is True
    assert store.claim_nonce("iss", "old", clock[0] + 10) is True
    assert store.claim_nonce("iss", "newer", clock[0] + 100) is False


def test_patient_ids_are_keyed_hashes() -> None:
    assert pseudonymise("1288992", b"k1") == pseudonymise("1288992", b"k1")
    assert pseudonymise("1288992", b"k1") != pseudonymise("1288992", b"k2")
    assert pseudonymise("1288992", b"k1").startswith("hmac-sha256:")
    assert "1288992" not in pseudonymise("1288992", b"k1")


def test_unknown_store_urls_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="unknown audit store URL scheme"):
        open_audit_store("mysql://x")
