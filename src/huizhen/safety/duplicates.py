"""Duplicate therapy: one ingredient on two lines, or two drugs of one class.

The same ingredient ordered twice (e.g. paracetamol alone and inside a
combination analgesic) risks overdose and is reported as major.  Two members of
a class listed under ``duplicate_classes`` in pack.yaml (two NSAIDs, two
statins) are reported as moderate: often a switch not yet recorded.
"""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import DrugPack
from huizhen.safety.context import Drug
from huizhen.safety.model import Alert

SAME_SOURCE = "huizhen policy: the same active ingredient on two medication lines (therapeutic duplication)"
CLASS_SOURCE = "huizhen policy: two drugs of one therapeutic class (class from the pack's classes table)"


def check_duplicates(drugs: list[Drug], pack: DrugPack) -> list[Alert]:
    alerts: list[Alert] = []
    dup_keys = [d.keys(pack) & pack.duplicate_classes for d in drugs]
    for i, d1 in enumerate(drugs):
        for j in range(i + 1, len(drugs)):
            d2 = drugs[j]
            same = sorted(set(d1.ids) & set(d2.ids))
            if same:
                names = [pack.vocab.name_of(s) for s in same]
                alerts.append(Alert(
                    type="duplicate", severity="major", interrupt=True,
                    drugs=[d1.written, d2.written], ingredients=names,
                    trigger=d2.written, effect=f"double dose of {', '.join(names)}",
                    management="Check that both are intended; count the total daily dose of the shared "
                               "ingredient across both products.",
                    source=SAME_SOURCE))
                continue
            shared = sorted(dup_keys[i] & dup_keys[j])
            if shared:
                cls = pack.class_name(shared[0])
                alerts.append(Alert(
                    type="duplicate", severity="moderate", interrupt=False,
                    drugs=[d1.written, d2.written],
                    ingredients=[pack.vocab.name_of(d1.ids[0]), pack.vocab.name_of(d2.ids[0])],
                    trigger=d2.written, effect=f"two {cls}",
                    management=f"Two {cls} together rarely add benefit and add harm; "
                               "check whether one replaces the other.",
                    source=CLASS_SOURCE, source_ref=shared[0]))
    return alerts
