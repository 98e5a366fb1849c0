"""``huizhen learn``, ``huizhen ask`` and ``huizhen eval ddxplus``: the common-disease model.

Thin front ends: parse options, call the library, print.  All clinical logic is
in :mod:`huizhen.reasoning.common` and :mod:`huizhen.reasoning.next_question`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import typer

from huizhen.cli.app import app, eval_app
from huizhen.errors import InputError

_DISCLAIMER = {
    "zh": "本结果仅供医生参考，不能替代医生的判断。",
    "en": "This supports, and does not replace, the doctor's judgement.",
}


@app.command("learn")
def learn_command(
    cases: Path = typer.Argument(..., help="Past cases: a DDXPlus patient CSV, or generic CSV/JSONL."),
    out: Path = typer.Option(..., "--out", help="Where to write the model (JSON; .gz compresses)."),
    layout: str = typer.Option("auto", help="auto, ddxplus or generic."),
    unlisted: str = typer.Option("absent", help="Generic layout: a finding a case does not list "
                                 "is 'absent' (checklists) or 'unknown'."),
) -> None:
    """Learn a common-disease model from past cases (findings + final diagnosis)."""
    from huizhen.reasoning.common_cases import is_ddxplus_file, learn_ddxplus, learn_generic

    if layout not in ("auto", "ddxplus", "generic"):
        raise InputError("must be auto, ddxplus or generic", field="--layout", value=layout)
    if not cases.exists():
        raise InputError("file not found", source=str(cases))
    use_ddxplus = layout == "ddxplus" or (layout == "auto" and is_ddxplus_file(cases))
    model = learn_ddxplus(cases) if use_ddxplus else learn_generic(cases, unlisted=unlisted)
    model.save(out)
    n = sum(model.counts["n"])
    seen = sum(1 for c in model.counts["n"] if c)
    typer.echo(f"learned {n} cases, {seen} of {len(model.diseases)} diseases, "
               f"{len(model.features)} findings ({'DDXPlus' if use_ddxplus else 'generic'} "
               f"layout) -> {out}")


def _read_answer(q: object, lang: str) -> object:
    """Prompt until the answer is valid; returns None for "don't know"."""
    from huizhen.reasoning.next_question import Question

    assert isinstance(q, Question)
    zh = lang == "zh"
    if q.kind == "yes_no":
        hint = "[y]是 / [n]否 / [?]不知道" if zh else "[y]es / [n]o / [?] don't know"
    elif q.kind == "scale":
        hint = "0-10, ? " + ("不知道" if zh else "don't know")
    else:
        for i, (_, label) in enumerate(q.options, start=1):
            typer.echo(f"  {i:>3}. {label}")
        hint = ("编号" if zh else "number") + (
            "，可用逗号分隔多个" if zh and q.kind == "multi" else
            ", several separated by commas" if q.kind == "multi" else "") + ", ?"
    while True:
        raw = typer.prompt(hint, default="?", show_default=False).strip().lower()
        if raw in ("?", "", "不知道", "dk"):
            return None
        if q.kind == "yes_no" and raw in ("y", "yes", "是", "有", "n", "no", "否", "没有", "无"):
            return raw in ("y", "yes", "是", "有")
        if q.kind == "scale" and raw.isdigit() and raw in dict(q.options):
            return raw
        if q.kind in ("choice", "multi"):
            try:
                picks = [q.options[int(x) - 1][0] for x in raw.replace("，", ",").split(",")]
            except (ValueError, IndexError):
                picks = []
            if picks and (q.kind == "multi" or len(picks) == 1):
                return frozenset(picks) if q.kind == "multi" else picks[0]
        typer.echo("请重新输入。" if zh else "Please answer again.")


@app.command("ask")
def ask_command(
    model_path: Path | None = typer.Option(None, "--model", help="Model file (default: shipped DDXPlus model)."),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    age: float | None = typer.Option(None, "--age"),
    sex: str | None = typer.Option(None, "--sex", help="M or F."),
    finding: list[str] = typer.Option([], "--finding", help="A known finding code (repeatable), "
                                      "e.g. E_91 or E_204_@_V_10."),
    max_questions: int = typer.Option(15, "--max-questions"),
    stop: float = typer.Option(0.99, "--stop", help="Stop when the top diagnosis reaches this."),
) -> None:
    """Interactive consultation in the terminal: answer yes / no / don't know."""
    from huizhen.eval.ddxplus import DEFAULT_TEMPER
    from huizhen.reasoning.common import Answers, load_common_model
    from huizhen.reasoning.next_question import next_questions

    if lang not in ("zh", "en"):
        raise InputError("must be zh or en", field="--lang", value=lang)
    if sex is not None and sex.upper() not in ("M", "F"):
        raise InputError("must be M or F", field="--sex", value=sex)
    model = load_common_model(model_path)
    answers = Answers(age=age, sex=sex.upper() if sex else None)
    for code in finding:
        fid, _, value = code.partition("_@_")
        if fid not in model.feature_index:
            raise InputError("finding not known to the model", field="--finding", value=code)
        f = model.features[model.feature_index[fid]]
        if f.kind != "B" and value not in f.values:
            raise InputError("needs one of the finding's values (CODE_@_VALUE)",
                             field="--finding", value=code)
        answers.values[fid] = True if f.kind == "B" else (
            frozenset([value]) if f.kind == "M" else value)
    skipped: set[str] = set()
    asked = 0
    while asked < max_questions:
        if float(model.posterior(answers, temper=DEFAULT_TEMPER).max()) >= stop:
            break
        # a "don't know" question is not asked again, and it is not evidence
        qs = next_questions(model, answers, k=1, lang=lang, exclude=frozenset(skipped))
        if not qs:
            break
        q = qs[0]
        tag = ("【警示】" if lang == "zh" else "[red flag] ") if q.red_flag else ""
        typer.echo(f"\n{tag}{q.text}")
        try:
            reply = _read_answer(q, lang)
        except (EOFError, typer.Abort, click.exceptions.Abort):  # end of input: show what is known so far
            typer.echo("")
            break
        asked += 1
        if reply is None:
            skipped.add(q.code)
            continue
        answers.values[q.code] = reply  # type: ignore[assignment]
    _print_ranking(model.rank_answers(answers, top=5), lang)


def _print_ranking(cands: list, lang: str) -> None:  # type: ignore[type-arg]
    typer.echo("\n" + ("鉴别诊断：" if lang == "zh" else "Differential:"))
    for c in cands:
        name = c.name_zh if lang == "zh" else c.name_en
        flag = (" ⚠不可漏诊" if lang == "zh" else " ⚠ cannot miss") if c.cannot_miss else ""
        typer.echo(f"  {c.probability:6.1%}  {name} ({c.icd10}){flag}")
    typer.echo(_DISCLAIMER[lang])


@eval_app.command("ddxplus")
def eval_ddxplus(
    patients: Path = typer.Argument(..., help="DDXPlus patient CSV."),
    model_path: Path | None = typer.Option(None, "--model", help="Model file (default: shipped)."),
    interactive: bool = typer.Option(False, "--interactive", help="Ask questions from INITIAL_EVIDENCE, age, sex."),
    max_questions: int = typer.Option(30, "--max-questions"),
    stop: float = typer.Option(0.99, "--stop", help="Confidence at which questioning stops."),
    red_flags: bool = typer.Option(False, "--red-flags", help="Ask red-flag questions first."),
    cv: int = typer.Option(0, "--cv", help="k-fold cross-validation over PATIENTS: learn on "
                           "k-1 folds, score the held-out fold (ignores --model's counts)."),
    learn_differential: bool = typer.Option(True, "--learn-differential/--posterior-differential",
                                            help="With --cv: learn differential membership from "
                                            "the training folds' DIFFERENTIAL_DIAGNOSIS, or use "
                                            "the posterior >= 1%."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly the metric keys as JSON."),
    misses: bool = typer.Option(False, "--misses", help="Also list wrong top-1 answers."),
) -> None:
    """DDXPlus benchmark: patients, gtpa1, gtpa, ddr, ddp, ddf1, il."""
    from huizhen.eval.ddxplus import cross_validate, evaluate
    from huizhen.reasoning.common import load_common_model
    from huizhen.reasoning.common_cases import read_ddxplus_patients

    if max_questions < 0:
        raise InputError("must be 0 or more", field="--max-questions", value=max_questions)
    if cv == 1 or cv < 0:
        raise InputError("must be 0 (off) or at least 2", field="--cv", value=cv)
    rows = read_ddxplus_patients(patients)
    kwargs = {"interactive": interactive, "max_questions": max_questions, "stop": stop,
              "red_flags": red_flags}
    if cv:
        result = cross_validate(rows, folds=cv, learn_differential=learn_differential,
                                **kwargs)  # type: ignore[arg-type]
    else:
        result = evaluate(load_common_model(model_path), rows, **kwargs)  # type: ignore[arg-type]
    metrics = result.metrics()
    if as_json:
        typer.echo(json.dumps(metrics))
    else:
        for k, v in metrics.items():
            typer.echo(f"{k:>8}  {v:.4f}" if isinstance(v, float) else f"{k:>8}  {v}")
    if misses:
        for (truth, top), n in result.misses().most_common():
            typer.echo(f"miss {n:>3}  {truth} -> {top}", err=as_json)
