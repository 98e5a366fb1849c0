"""Choosing a backend from a location, and what only one backend does."""

from __future__ import annotations

from pathlib import Path

import pytest

from huizhen.errors import KnowledgeError
from huizhen.store import (
    ChunkRow,
    Document,
    Filters,
    Section,
    is_database_url,
    open_store,
    store_exists,
    store_key,
)
from huizhen.store.factory import sqlite_path
from huizhen.store.postgres import (
    PostgresStore,
    distinct_terms,
    match_terms,
    redact,
    tsvector_literal,
)
from huizhen.store.sqlite import SQLiteStore


def _doc(doc_id: str, scope: str, text: str) -> tuple[Document, list[ChunkRow]]:
    doc = Document(doc_id=doc_id, title=doc_id, scope=scope, content_hash="h1",
                   sections=[Section("1", (doc_id,), text)])
    return doc, [ChunkRow("1", 0, (doc_id,), text, doc_id.lower(), "", text, text, 1)]


def test_a_path_or_sqlite_url_opens_a_file_and_a_postgresql_url_a_database(tmp_path: Path,
                                                                            pg_url: str) -> None:
    assert sqlite_path("kb/x.sqlite") == Path("kb/x.sqlite")
    assert sqlite_path(f"sqlite:///{tmp_path}/x.sqlite") == tmp_path / "x.sqlite"
    assert sqlite_path("sqlite:///rel/x.sqlite") == Path("rel/x.sqlite")
    assert sqlite_path("postgresql://u@db.example/kb") is None
    assert [is_database_url(x) for x in ("postgresql://h/kb", "POSTGRES://h/kb", "sqlite:///k",
                                         "kb.sqlite", Path("postgresql://h/kb"), None)] == [
        True, True, False, False, False, False]
    assert store_key("postgresql://u@h/kb") == "postgresql://u@h/kb"
    assert store_key(tmp_path / "a" / ".." / "kb.sqlite") == str(tmp_path / "kb.sqlite")
    file_store = open_store(f"sqlite:///{tmp_path}/kb.sqlite")
    db_store = open_store(pg_url)
    try:
        assert (type(file_store), file_store.location) == (SQLiteStore, str(tmp_path / "kb.sqlite"))
        assert (type(db_store), db_store.location) == (PostgresStore, pg_url)
    finally:
        file_store.close()
        db_store.close()


def test_bad_locations_are_refused_by_name(tmp_path: Path, pg_url: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        open_store("mysql://u@h/kb")
    assert str(err.value) == ("kb='mysql://u@h/kb': unknown knowledge base URL scheme; use a "
                              "file path, sqlite:///path or postgresql://...")
    # a URL that went through pathlib lost a slash: refused, never created as a file
    with pytest.raises(KnowledgeError) as err:
        open_store(Path("postgresql://u@h/kb"))
    assert str(err.value) == ("kb='postgresql:/u@h/kb': this database URL was read as a file path "
                              "and lost a '/' of its '//'; pass it as text")
    assert not Path("postgresql:").exists()
    with pytest.raises(KnowledgeError) as err:
        open_store(tmp_path / "none.sqlite", must_exist=True)
    assert str(err.value) == (f"{tmp_path / 'none.sqlite'}: no knowledge base here; create it with "
                              "`huizhen kb init` or `huizhen kb ingest`")
    # an empty database holds no knowledge base until one is created in it
    assert not store_exists(pg_url) and not store_exists(tmp_path / "none.sqlite")
    with pytest.raises(KnowledgeError) as err:
        open_store(pg_url, must_exist=True)
    assert str(err.value) == (f"{pg_url}: no knowledge base in this database; create it with "
                              "`huizhen kb init` or `huizhen kb ingest`")
    open_store(pg_url).close()
    assert store_exists(pg_url)


def test_an_unreachable_server_is_named_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://huizhen:s3cret@/kb?host={tmp_path}/nowhere"
    with pytest.raises(KnowledgeError) as err:
        open_store(url)
    shown = f"postgresql://huizhen:***@/kb?host={tmp_path}/nowhere"
    assert str(err.value) == (
        f'{shown}: cannot connect to PostgreSQL: connection is bad: connection to server on socket '
        f'"{tmp_path}/nowhere/.s.PGSQL.5432" failed: No such file or directory')
    assert redact("postgresql://?host=/s&user=u&password=p&dbname=kb") == (
        "postgresql://?host=/s&user=u&password=***&dbname=kb")


def test_postgresql_lexemes_are_the_terms_given_unparsed() -> None:
    literal, n = tsvector_literal("糖尿病 规范", "治疗", "二甲双胍 o'neil c:\\x 二甲双胍")
    assert (literal, n) == (
        "'糖尿病':1A '规范':2A '治疗':3B '二甲双胍':4,7 'o''neil':5 'c:\\\\x':6", (2, 1, 4))
    assert distinct_terms("糖尿病 规范", "治疗", "二甲双胍 二甲双胍 " + "x" * 3000) == {
        "糖尿病", "规范", "治疗", "二甲双胍"}
    assert match_terms('"二甲双胍" OR "say ""hi""" OR bare') == ['二甲双胍', 'say "hi"', "bare"]


def test_two_processes_on_one_database_see_each_others_writes(pg_url: str) -> None:
    """Two API processes (here: two stores, each with its own connection) on one database:
    a document one ingests is found by the other, whose caches see the generation move."""
    one, two = open_store(pg_url), open_store(pg_url)
    try:
        assert one.get_meta("kb_id") == two.get_meta("kb_id")
        gen = two.generation()
        one.put_documents([_doc("A", "hosp-a", "heparin bolus")])
        assert two.generation() == gen + 1
        [(cid, _)] = two.lexical('"heparin"', Filters(("public", "hosp-a")), 5, (1, 1, 1))
        assert two.chunks([cid])[cid].doc_id == "A"
        assert two.remove_document("hosp-a", "A") and one.list_documents() == []
    finally:
        one.close()
        two.close()


def test_a_dropped_connection_is_reopened(pg_url: str, pg_admin_url: str) -> None:
    import psycopg

    store = open_store(pg_url)
    try:
        store.put_documents([_doc("A", "public", "heparin bolus")])
        assert isinstance(store, PostgresStore)
        pid = store._db.info.backend_pid
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert [d.doc_id for d in store.list_documents()] == ["A"]
        assert store._db.info.backend_pid != pid
    finally:
        store.close()


def test_a_database_failure_is_one_clear_line(pg_url: str) -> None:
    import psycopg

    store = open_store(pg_url)
    try:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("DROP TABLE huizhen_kb.term_df")
        with pytest.raises(KnowledgeError) as err:
            store.put_documents([_doc("A", "public", "heparin")])
        assert str(err.value) == (f'{pg_url}: database error: relation "term_df" does not exist')
        assert store.list_documents() == []  # nothing of the failed write was kept
    finally:
        store.close()


def test_a_user_who_may_not_create_the_schema_is_told_so(pg_url: str) -> None:
    import uuid

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    role, dbname = f"huizhen_reader_{uuid.uuid4().hex[:8]}", conninfo_to_dict(pg_url)["dbname"]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"REVOKE CREATE ON DATABASE {dbname} FROM PUBLIC")
    params = {**conninfo_to_dict(pg_url), "user": role}
    params.pop("password", None)
    reader = "postgresql://?" + "&".join(
        f"{k}={v}" for k, v in conninfo_to_dict(make_conninfo(**params)).items())
    try:
        with pytest.raises(KnowledgeError) as err:
            open_store(reader)
        assert str(err.value) == (
            f"{reader}: the pgvector extension is missing and this user may not create it; ask "
            "the database administrator to run CREATE EXTENSION vector (permission denied to "
            'create extension "vector")')
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("CREATE EXTENSION vector")
        with pytest.raises(KnowledgeError) as err:
            open_store(reader)
        assert str(err.value) == (f"{reader}: cannot open the knowledge base: permission denied "
                                  f"for database {dbname}")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")
