"""Drug-drug interactions: ingredient pairs and class pairs from the knowledge pack.

A pair of drugs can match several rules (ANSM class rule, ONC pair, label
annotation, a local rule).  The most severe one is reported and the other
sources are named in its notes.  Pairs on the ONC non-interruptive list never
interrupt, whatever their severity.
"""

from __future__ import annotations

from huizhen.knowledge.drugs.pack import RANK, DrugPack, InteractionRule
from huizhen.safety.context import Drug
from huizhen.safety.model import Alert


def pair_rules(pack: DrugPack, x: str, y: str, line_x: tuple[str, ...] = (),
               line_y: tuple[str, ...] = ()) -> list[InteractionRule]:
    """All rules between two ingredients (via their own ids and their classes).

    ``line_x`` / ``line_y`` are all the ingredients of the medication lines x and y come from
    (default: x or y alone): a rule written for a combination product (co-trimoxazole) holds
    only for a line that carries every ingredient of that combination."""
    kx, ky = pack.keys_of(x), pack.keys_of(y)
    if pack.reach(x).isdisjoint(ky) or pack.vocab.parent(x) == pack.vocab.parent(y):
        return []
    if pack.combinations:
        kx = _whole(pack, kx, line_x or (x,))
        ky = _whole(pack, ky, line_y or (y,))
    partners = pack.partners()
    table = pack.pair_rules
    rules: list[InteractionRule] = []
    seen: set[frozenset[str]] = set()
    for a in kx:
        hits = partners.get(a)
        if not hits:
            continue
        for b in hits & ky:
            key = frozenset((a, b))
            if key not in seen:
                seen.add(key)
                rules.extend(table[key])
    local = [r for r in rules if r.local]
    return local or rules


def _whole(pack: DrugPack, keys: frozenset[str], line: tuple[str, ...]) -> frozenset[str]:
    """The keys without the combination classes the line does not carry whole."""
    combos = pack.combinations
    if keys.isdisjoint(combos):
        return keys
    parents = {pack.vocab.parent(i) for i in line}
    return frozenset(k for k in keys if k not in combos or combos[k] <= parents)


def best_rule(pack: DrugPack, x: str, y: str, line_x: tuple[str, ...] = (),
              line_y: tuple[str, ...] = ()) -> tuple[InteractionRule | None, list[InteractionRule]]:
    rules = pair_rules(pack, x, y, line_x, line_y)
    if not rules:
        return None, []
    # Most severe first; at equal severity the most specific (ingredient pair before class rule).
    rules.sort(key=lambda r: (-RANK.get(r.level, 0),
                              r.a.startswith("class:") + r.b.startswith("class:"), r.source))
    return rules[0], rules


def check_interactions(drugs: list[Drug], pack: DrugPack) -> list[Alert]:
    alerts: list[Alert] = []
    for i, d1 in enumerate(drugs):
        for d2 in drugs[i + 1:]:
            best: tuple[InteractionRule, str, str, list[InteractionRule]] | None = None
            for x in d1.ids:
                for y in d2.ids:
                    rule, allr = best_rule(pack, x, y, d1.ids, d2.ids)
                    if rule and (best is None or RANK[rule.level] > RANK[best[0].level]):
                        best = (rule, x, y, allr)
            if best is None:
                continue
            rule, x, y, allr = best
            ni = frozenset((x, y)) in pack.non_interruptive
            notes = list(dict.fromkeys(f"also: {r.source} ({r.level})" for r in allr[1:]
                                       if r.source != rule.source))[:3]
            if ni:
                notes.append("on the ONC non-interruptive list: shown without interrupting")
            if rule.a.startswith("class:") or rule.b.startswith("class:"):
                notes.append(f"class rule: {pack.label(rule.a)} + {pack.label(rule.b)}")
            alerts.append(Alert(
                type="interaction",
                severity=rule.level,
                interrupt=RANK[rule.level] >= RANK["major"] and not ni,
                drugs=[d1.written, d2.written],
                ingredients=[pack.vocab.name_of(x), pack.vocab.name_of(y)],
                trigger=d2.written,
                effect=rule.effect,
                management=rule.management,
                source=rule.source,
                source_ref=rule.source_ref,
                local=rule.local,
                notes=notes,
            ))
    return alerts
