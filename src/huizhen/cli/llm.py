"""Commands of the optional language-model layer: ask-kb, assist, draft-note, llm-status,
eval citations.  Each works without a model (extractive answer, plain consult, template
note) and says how to configure one."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from huizhen.cli.app import app, eval_app

KbOpt = Annotated[str | None, typer.Option(help="Knowledge base: a file or postgresql:// URL (default: the user's).")]
TenantOpt = Annotated[str | None, typer.Option(help="Hospital tenant whose documents may be used.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AuditOpt = Annotated[str | None, typer.Option(
    help="Audit store (SQLite path or postgresql:// URL): one event per model request, with its tokens.")]


def _client(audit: str | None = None, tenant: str | None = None, request: object = None) -> Any:
    """The configured client (None without an endpoint); with ``audit``, usage is recorded there."""
    from huizhen.llm import make_client

    if audit is None:
        return make_client()
    import getpass

    from huizhen.audit import open_audit_store
    from huizhen.llm.usage import audit_usage

    store = open_audit_store(audit)
    client = make_client(on_usage=audit_usage(store, tenant=tenant or "public",
                                              actor=f"cli:{getpass.getuser()}", request=request))
    if client is None:
        store.close()
        return None
    close = client.close

    def close_both() -> None:
        close()
        store.close()

    client.close = close_both  # type: ignore[method-assign]
    return client


def _how_to_on_stderr() -> None:
    from huizhen.llm import HOW_TO_CONFIGURE

    typer.echo(f"note: {HOW_TO_CONFIGURE}", err=True)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("llm-status")
def llm_status(as_json: JsonOpt = False) -> None:
    """Show the configured language-model endpoint (no request is sent)."""
    from huizhen.llm import HOW_TO_CONFIGURE, load_config

    cfg = load_config()
    data = {"configured": cfg is not None, **(cfg.describe() if cfg else {"how_to": HOW_TO_CONFIGURE})}
    if as_json:
        _echo_json(data)
    elif cfg is None:
        typer.echo(HOW_TO_CONFIGURE)
    else:
        for k, v in data.items():
            typer.echo(f"{k}: {v}")


@app.command("ask-kb")
def ask_kb_cmd(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    patient: Annotated[str | None, typer.Option(help="Patient file (or note) giving context.")] = None,
    tenant: TenantOpt = None,
    kb: KbOpt = None,
    top: Annotated[int, typer.Option(min=1, max=20, help="Passages retrieved.")] = 5,
    mark: Annotated[bool, typer.Option(help="Mark unsupported sentences instead of removing them.")] = False,
    audit: AuditOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer from knowledge-base passages only, with [n] citations checked sentence by sentence."""
    from huizhen.llm.ask import ask_kb
    from huizhen.patient.parse import load_patient

    pat = load_patient(patient) if patient else None
    client = _client(audit, tenant, {"ask-kb": question, "patient": patient})
    with client or nullcontext():
        answer = ask_kb(question, kb=kb, tenant=tenant, patient=pat, client=client, top=top, mark=mark)
    if as_json:
        _echo_json(answer.to_dict())
        return
    if answer.mode == "extractive" and client is None:
        _how_to_on_stderr()
    typer.echo(answer.text)
    cited = [s for s in answer.sources if s.cited] or (answer.sources if answer.mode == "model" else [])
    if cited:
        typer.echo("\n" + ("来源：" if answer.lang == "zh" else "Sources:"))
        for s in cited:
            where = f" — {s.url}" if s.url else ""
            typer.echo(f"[{s.n}] {s.heading or s.title} ({s.source or s.scope}){where}")
    for note in answer.notes:
        if client is not None:
            typer.echo(f"note: {note}", err=True)


@app.command("assist")
def assist_cmd(
    patient: Annotated[str, typer.Argument(help="Patient file or note text.")],
    propose: Annotated[list[str] | None, typer.Option(help="A drug you plan to prescribe (repeatable).")] = None,
    tenant: TenantOpt = None,
    kb: KbOpt = None,
    lang: Annotated[str | None, typer.Option(help="Report language: zh or en.")] = None,
    audit: AuditOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The consult with the model's help (opt-in): findings from the note, a cited review of the
    differential re-scored by the engines, suggested drugs checked for safety."""
    from huizhen.llm.review import assisted_consult
    from huizhen.patient.parse import load_patient
    from huizhen.report import render_markdown

    client = _client(audit, tenant, {"assist": patient})
    if client is None:
        _how_to_on_stderr()
    with client or nullcontext():
        out = assisted_consult(load_patient(patient), client=client, kb=kb, tenant=tenant, lang=lang,
                               proposed=propose or [])
    if as_json:
        _echo_json(out.to_dict())
        return
    typer.echo(render_markdown(out.report), nl=False)


@app.command("draft-note")
def draft_note_cmd(
    patient: Annotated[str, typer.Argument(help="Patient file or note text.")],
    decisions: Annotated[Path | None, typer.Option(help="YAML/JSON file of the doctor's decisions: "
                                                          "diagnoses, prescriptions, tests, advice, "
                                                          "follow_up, exam, chief_complaint, history.")] = None,
    style: Annotated[str, typer.Option(help="outpatient (门诊病历) or soap.")] = "outpatient",
    lang: Annotated[str | None, typer.Option(help="zh or en (default: zh for outpatient, en for soap).")] = None,
    fluent: Annotated[bool, typer.Option(help="Let the configured model make the narrative fluent "
                                              "(every sentence checked against the facts).")] = False,
    kb: KbOpt = None,
    tenant: TenantOpt = None,
    audit: AuditOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft the visit note for the doctor to edit and sign: every line traceable to the input
    or to a decision."""
    from huizhen.consult import consult
    from huizhen.notes import Decisions, draft_note, fluent_note
    from huizhen.patient.parse import load_patient

    pat = load_patient(patient)
    dec = Decisions.load(decisions) if decisions else Decisions()
    report = consult(pat, kb=kb, tenant=tenant, lang=lang)
    draft = draft_note(report, dec, patient=pat, style=style, lang=lang)
    if fluent:
        client = _client(audit, tenant, {"draft-note": patient})
        if client is None:
            _how_to_on_stderr()
        else:
            with client:
                draft = fluent_note(draft, client)
    if as_json:
        _echo_json(draft.to_dict())
        return
    typer.echo(draft.render(), nl=False)
    for note in draft.notes:
        typer.echo(f"note: {note}", err=True)


@eval_app.command("citations")
def eval_citations(
    path: Annotated[Path, typer.Argument(help="Benchmark YAML file or folder (benchmarks/data/citations).")],
    as_json: JsonOpt = False,
) -> None:
    """Citation checker: precision and recall of flagging unsupported sentences."""
    from huizhen.llm.bench import run

    figures = run(path)
    if as_json:
        _echo_json(figures.to_dict())
        return
    typer.echo(f"sets {figures.sets}, sentences {figures.sentences}, planted unsupported {figures.planted}")
    typer.echo(f"precision {figures.precision:.3f}  recall {figures.recall:.3f}  f1 {figures.f1:.3f}")
    for lang, f in figures.by_lang.items():
        typer.echo(f"  {lang}: precision {f['precision']:.3f}  recall {f['recall']:.3f}")
    typer.echo("recall by kind: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.recall_by_kind.items()))
    typer.echo(f"misses: {len(figures.misses)}  ({figures.elapsed_s:.1f} s)")
