"""String normalisation for drug names: one key per way of writing a name.

Doctors write "Metformin HCl 500 mg tab", "盐酸二甲双胍片", "Amoxicilline" or
"TMP-SMX"; the vocabulary is keyed on a folded form (case, accents, trade
marks, dashes, width) so all spellings of a name meet at one key.  Salt and
dose-form words are peeled off separately, only when the full name is unknown,
because some salts are the drug itself (potassium chloride, isosorbide
mononitrate).
"""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "－": "-", "／": "/", "＋": "+"})
_MARKS = re.compile(r"[®™©*]")

#: Salt, ester and hydrate words written after (English) an ingredient name.
SALT_WORDS = frozenset(
    ["hydrochloride", "hcl", "hci", "dihydrochloride", "hydrobromide", "hbr", "sodium", "disodium", "potassium", "calcium", "magnesium", "sulfate", "sulphate", "bisulfate", "bisulphate", "maleate", "mesylate", "mesilate", "besylate", "besilate", "tartrate", "bitartrate", "succinate", "citrate", "acetate", "phosphate", "diphosphate", "bromide", "fumarate", "hyclate", "monohydrate", "dihydrate", "trihydrate", "hemihydrate", "sesquihydrate", "anhydrous", "lactate", "gluconate", "nitrate", "malate", "oxalate", "pamoate", "napsylate", "tosylate", "embonate", "stearate", "valerate", "propionate", "dipropionate", "furoate", "xinafoate", "trometamol", "tromethamine", "meglumine", "decanoate", "enanthate", "cypionate", "salt", "hydrate", "chloride", "base", "free", "carbonate", "bicarbonate", "oxide", "hydroxide", "iodide"]
)

#: Dose forms and other words that follow a name on a prescription line.
FORM_WORDS = frozenset(
    ["tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "injection", "injectable", "inj", "solution", "oral", "suspension", "syrup", "cream", "ointment", "gel", "patch", "drops", "spray", "inhaler", "inhalation", "powder", "for", "extended", "release", "er", "xr", "sr", "cr", "la", "dr", "ec", "delayed", "film", "coated", "chewable", "sublingual", "topical", "iv", "im", "sc", "po", "vial", "ampoule", "ampule", "prefilled", "syringe", "pen", "kit", "elixir", "liquid", "lotion", "suppository", "rectal", "vaginal", "ophthalmic", "otic", "nasal", "transdermal", "intravenous", "intramuscular", "subcutaneous", "disintegrating", "orally", "dispersible", "effervescent", "granules", "sachet", "hr", "hour", "day"]
)

#: Chinese salt prefixes and dose-form suffixes (盐酸二甲双胍缓释片 -> 二甲双胍).
ZH_SALT_PREFIXES = (
    "注射用", "复方", "盐酸", "硫酸", "马来酸", "甲磺酸", "苯磺酸", "酒石酸", "琥珀酸", "枸橼酸",
    "富马酸", "磷酸", "醋酸", "乳酸", "氢溴酸", "门冬氨酸", "葡萄糖酸",
)
ZH_FORM_SUFFIXES = (
    "缓释片", "控释片", "肠溶片", "分散片", "咀嚼片", "泡腾片", "口崩片", "薄膜衣片", "片",
    "缓释胶囊", "肠溶胶囊", "软胶囊", "胶囊", "注射液", "粉针剂", "注射剂", "针", "颗粒",
    "干混悬剂", "混悬液", "口服液", "口服溶液", "溶液", "滴眼液", "滴剂", "气雾剂", "吸入剂",
    "吸入粉雾剂", "乳膏", "软膏", "凝胶", "贴剂", "栓", "糖浆", "散", "丸",
)
ZH_SALT_SUFFIXES = ("钠", "钾", "钙", "镁", "酯")


def has_cjk(text: str) -> bool:
    """Whether the text holds Chinese characters (decides the matching strategy)."""
    return bool(_CJK.search(text))


def fold(text: str) -> str:
    """The lookup key: width-folded, lower case, accents and trade marks removed."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = _MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = text.lower().replace("ß", "ss")
    text = _SPACES.sub(" ", text).strip(" .,;:()[]\"'")
    return text


def strip_salts(key: str) -> list[str]:
    """Shorter keys with trailing (and leading) salt / form words removed, longest first."""
    words = key.split(" ")
    out: list[str] = []
    while len(words) > 1 and (words[-1] in SALT_WORDS or words[-1] in FORM_WORDS):
        words = words[:-1]
        out.append(" ".join(words))
    lead = key.split(" ")
    while len(lead) > 1 and lead[0] in SALT_WORDS:
        lead = lead[1:]
        out.append(" ".join(lead))
    return out


def strip_zh(key: str) -> list[str]:
    """Chinese name variants without dose-form suffix, salt prefix or salt suffix."""
    out: list[str] = []
    cur = key
    changed = True
    while changed:
        changed = False
        for suf in ZH_FORM_SUFFIXES:
            if cur.endswith(suf) and len(cur) > len(suf) + 1:
                cur = cur[: -len(suf)]
                out.append(cur)
                changed = True
                break
        for pre in ZH_SALT_PREFIXES:
            if cur.startswith(pre) and len(cur) > len(pre) + 1:
                cur = cur[len(pre):]
                out.append(cur)
                changed = True
                break
    for suf in ZH_SALT_SUFFIXES:
        if cur.endswith(suf) and len(cur) > len(suf) + 1:
            out.append(cur[: -len(suf)])
    return out
