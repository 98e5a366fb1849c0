"""A kill -9 in the middle of an ingest leaves a consistent knowledge base."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from huizhen.knowledge.corpus import ingest
from huizhen.store.sqlite import SQLiteStore

N = 150


def test_killed_ingest_leaves_a_consistent_kb_and_resumes(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(N):
        (docs / f"p{i:03d}.md").write_text(
            f"# Protocol {i}\n\n## Dosage\n\n" + f"Drug{i} 10 mg daily for condition {i}.\n" * 5)
    kb = tmp_path / "kb.sqlite"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from huizhen.knowledge.corpus import ingest
        from huizhen.store.sqlite import SQLiteStore
        store = SQLiteStore({str(kb)!r})
        def progress(done, total, name):
            print(done, flush=True)
        ingest([Path({str(docs)!r})], store, "hosp-a", progress=progress)
        print("finished", flush=True)
    """)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                          env=env) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "finished" or int(line) >= 20:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # it really was killed midway

    store = SQLiteStore(kb)
    assert store.integrity_errors() == []
    infos = store.list_documents("hosp-a")
    assert 20 <= len(infos) < N
    assert all(d.sections == 1 and d.chunks >= 1 for d in infos)
    report = ingest([docs], store, "hosp-a")
    assert (report.added, report.unchanged, report.failed) == (N - len(infos), len(infos), [])
    assert len(store.list_documents("hosp-a")) == N and store.integrity_errors() == []
    store.close()
