"""``huizhen kb init|ingest|embed|list|remove|search`` and ``huizhen eval retrieval``.

Thin front ends: parse options, call :mod:`huizhen.knowledge.corpus` and
:mod:`huizhen.retrieval`, print. Long jobs show a progress bar (with an ETA) on
stderr, so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from huizhen.cli.app import eval_app, kb_app
from huizhen.store.base import KnowledgeStore

KB_OPTION = typer.Option(None, "--kb", help="Knowledge base: a file, sqlite:///path or "
                         "postgresql://user@host/db (default: the user's file, under the huizhen "
                         "data directory).")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar with ETA on stderr; silent when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, _name: str = "") -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _embed(store: KnowledgeStore, label: str = "embedding") -> int:
    from huizhen.retrieval.dense import embed_missing

    with _progress(label) as update:
        return embed_missing(store, progress=lambda d, t, _s: update(d, t, ""))


@kb_app.command("init")
def init_command(kb: str | None = KB_OPTION) -> None:
    """Build the public knowledge base from the shipped MedQuAD corpus (CC BY 4.0),
    with its prebuilt embeddings. Re-running it is a no-op."""
    from huizhen.knowledge.corpus import init_default
    from huizhen.retrieval import open_kb

    t0 = time.monotonic()
    store = open_kb(kb)
    with _progress("MedQuAD") as update:
        report, attached = init_default(store, progress=update)
    docs = store.list_documents("public")
    typer.echo(f"{store.location}: {len(docs)} public documents, "
               f"{sum(d.chunks for d in docs)} chunks ({report.added} added, "
               f"{report.unchanged} unchanged) in {time.monotonic() - t0:.1f} s")
    if attached is None:
        typer.echo("huizhen: this installation ships no prebuilt MedQuAD embeddings; search is "
                   "lexical until `huizhen kb embed` has embedded every chunk (about an hour on "
                   "two cores)", err=True)
    elif attached:
        typer.echo(f"attached {attached} prebuilt vectors")


@kb_app.command("ingest")
def ingest_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders: .md .html .txt .pdf .docx, "
                                       "MedQuAD .jsonl"),
    tenant: str | None = typer.Option(None, "--tenant", help="Hospital tenant id (default: "
                                         "public)."),
    kb: str | None = KB_OPTION,
    embed: bool = typer.Option(True, "--embed/--no-embed", help="Embed new chunks after "
                               "ingesting (resumable with `kb embed`)."),
) -> None:
    """Ingest documents; unchanged files are skipped, changed ones replaced."""
    from huizhen.knowledge.corpus import ingest
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.search import check_tenant

    scope = check_tenant(tenant)
    store = open_kb(kb)
    with _progress("ingesting") as update:
        report = ingest(paths, store, scope, progress=update)
    for path, message in report.failed:
        typer.echo(f"huizhen: skipped {message}" if message.startswith(path)
                   else f"huizhen: skipped {path}: {message}", err=True)
    typer.echo(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{report.chunks} chunks, {len(report.failed)} failed"
               f" [{scope or 'public'} in {store.location}]")
    if embed and (report.added or report.updated):
        n = _embed(store)
        typer.echo(f"embedded {n} chunks")
    if report.failed:
        typer.echo(f"huizhen: {len(report.failed)} of "
                   f"{len(report.failed) + report.added + report.updated + report.unchanged} "
                   "inputs failed", err=True)
        raise typer.Exit(1)


@kb_app.command("embed")
def embed_command(kb: str | None = KB_OPTION,
                  rebuild: bool = typer.Option(False, "--rebuild", help="Drop every vector and "
                                               "re-embed with the installed model.")) -> None:
    """Embed chunks that have no vector yet (resumes an interrupted embedding)."""
    from huizhen.retrieval import open_kb

    store = open_kb(kb, must_exist=True)
    if rebuild:
        store.clear_embeddings()
    typer.echo(f"embedded {_embed(store)} chunks")


@kb_app.command("list")
def list_command(tenant: str | None = typer.Option(None, "--tenant", help="Only this scope "
                                                      "('public' or a tenant id)."),
                 kb: str | None = KB_OPTION,
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """List stored documents."""
    from dataclasses import asdict

    from huizhen.retrieval import open_kb

    docs = open_kb(kb, must_exist=True).list_documents(tenant)
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=1))
        return
    for d in docs:
        typer.echo(f"{d.scope}\t{d.doc_id}\t{d.title}\t{d.chunks} chunks\t{d.embedded} embedded")
    typer.echo(f"{len(docs)} documents", err=True)


@kb_app.command("remove")
def remove_command(doc_id: str = typer.Argument(..., help="Document id as `kb list` shows it "
                                                "(a file's path for ingested files)."),
                   tenant: str | None = typer.Option(None, "--tenant"),
                   kb: str | None = KB_OPTION) -> None:
    """Remove a document with its chunks and vectors."""
    from huizhen.errors import NotFoundError
    from huizhen.retrieval import open_kb
    from huizhen.retrieval.search import check_tenant

    scope = check_tenant(tenant) or "public"
    store = open_kb(kb, must_exist=True)
    if not store.remove_document(scope, doc_id):
        resolved = str(Path(doc_id).resolve())
        if not store.remove_document(scope, resolved):
            raise NotFoundError(f"no such document in scope {scope}", field="doc_id", value=doc_id)
    typer.echo(f"removed {doc_id} [{scope}]")


@kb_app.command("search")
def search_command(
    query: str = typer.Argument(..., help="Question or keywords, Chinese or English."),
    tenant: str | None = typer.Option(None, "--tenant"),
    top: int = typer.Option(5, "--top"),
    mode: str = typer.Option("hybrid", "--mode", help="lexical, dense or hybrid."),
    lang: str | None = typer.Option(None, "--lang", help="Only documents in en or zh."),
    source: str | None = typer.Option(None, "--source", help="Only this source."),
    kb: str | None = KB_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search the knowledge base: passages with document, section, snippet and source."""
    from huizhen.retrieval import search

    hits = search(query, kb=kb, tenant=tenant, top=top, mode=mode, lang=lang, source=source)
    if as_json:
        typer.echo(json.dumps({"query": query, "hits": [h.to_dict() for h in hits]},
                              ensure_ascii=False, indent=1))
        return
    if not hits:
        typer.echo(f"no passages match {query!r}")
        return
    for n, h in enumerate(hits, 1):
        typer.echo(f"{n}. {' › '.join(h.heading_path)}  [{h.score:.3f}]")
        typer.echo(f"   {h.snippet}")
        cite = ", ".join(x for x in (h.source, h.url, h.license) if x)
        typer.echo(f"   {h.scope} · {h.doc_id} · {cite}")


@eval_app.command("retrieval")
def eval_retrieval_command(
    questions: Path = typer.Argument(..., help="jsonl: question, doc_id, pid per line."),
    kb: str | None = KB_OPTION,
    mode: str = typer.Option("hybrid", "--mode", help="lexical, dense or hybrid."),
    limit: int = typer.Option(0, "--limit", help="Only the first N questions."),
    misses: Path | None = typer.Option(None, "--misses", help="Write questions not answered "
                                          "at rank 1 (jsonl) here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recall@1/5/10, MRR@10, nDCG@10 and ms per query on questions with known answers."""
    from huizhen.eval.retrieval import KEYS, load_questions, metrics, p95_ms, run
    from huizhen.retrieval import open_kb

    qs = load_questions(questions)
    if limit:
        qs = qs[:limit]
    store = open_kb(kb, must_exist=True)
    with _progress(f"eval {mode}") as update:
        outcomes = run(store, qs, mode, progress=lambda d, t: update(d, t, ""))
    figures = metrics(outcomes)
    if misses:
        with misses.open("w", encoding="utf-8") as fh:
            for o in outcomes:
                if o.rank != 1:
                    fh.write(json.dumps({"question": o.question.question, "doc_id": o.question.doc_id,
                                         "pid": o.question.pid, "rank": o.rank, "top": o.top[:5]},
                                        ensure_ascii=False) + "\n")
    if as_json:
        typer.echo(json.dumps({k: figures[k] for k in KEYS}))
        return
    for k in KEYS:
        typer.echo(f"{k:>13}  {figures[k]}")
    typer.echo(f"{'ms_p95':>13}  {p95_ms(outcomes)}   ({mode}, {store.location})")
