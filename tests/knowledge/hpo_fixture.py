"""A tiny HPO release written by the tests: ontology and annotations small enough
to check likelihood-ratio arithmetic by hand.

    HP:0000001 All
      HP:0000118 Phenotypic abnormality
        HP:0000100 Head (organ A)            HP:0000200 Limb (organ B)
          HP:0000101 Big head                   HP:0000201 Short limb
            HP:0000102 Very big head
          HP:0000103 Small head
"""

from __future__ import annotations

from pathlib import Path

OBO = """format-version: 1.2
data-version: hp/releases/2099-01-01

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0000118
name: Phenotypic abnormality
is_a: HP:0000001 ! All

[Term]
id: HP:0000100
name: Head anomaly
synonym: "Abnormal head" EXACT []
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0000101
name: Big head
alt_id: HP:0000901
synonym: "Large head" EXACT layperson []
synonym: "Macrocephalus" RELATED []
is_a: HP:0000100 ! Head anomaly

[Term]
id: HP:0000102
name: Very big head
is_a: HP:0000101 ! Big head

[Term]
id: HP:0000103
name: Small head
is_a: HP:0000100 ! Head anomaly

[Term]
id: HP:0000200
name: Limb anomaly
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0000201
name: Short limb
is_a: HP:0000200 ! Limb anomaly

[Term]
id: HP:0000150
name: obsolete Huge head
is_obsolete: true
replaced_by: HP:0000102

[Term]
id: HP:0000151
name: obsolete Odd head
is_obsolete: true
consider: HP:0000100

[Term]
id: HP:0040280
name: Obligate
is_a: HP:0000001 ! All

[Term]
id: HP:0003577
name: Congenital onset
is_a: HP:0000001 ! All

[Term]
id: HP:0003581
name: Adult onset
is_a: HP:0000001 ! All

[Typedef]
id: part_of
name: part of
"""

HPOA = """#description: tiny test annotations
#version: 2099-01-01
database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration
OMIM:100001\tBig head syndrome\t\tHP:0000101\tPMID:1\tPCS\t\t1/2\t\t\tP\tx
OMIM:100001\tBig head syndrome\t\tHP:0000201\tPMID:1\tPCS\t\tHP:0040280\t\t\tP\tx
OMIM:100001\tBig head syndrome\tNOT\tHP:0000103\tPMID:1\tPCS\t\t\t\t\tP\tx
OMIM:100001\tBig head syndrome\t\tHP:0003577\tPMID:1\tPCS\t\t\t\t\tC\tx
OMIM:100002\tSmall head disease\t\tHP:0000103\tPMID:2\tPCS\t\t25%\t\t\tP\tx
OMIM:100002\tSmall head disease\t\tHP:0000103\tPMID:2\tPCS\t\t3/4\t\t\tP\tx
OMIM:100002\tSmall head disease\t\tHP:0000201\tPMID:2\tPCS\t\t\tMALE\t\tP\tx
ORPHA:300\tLimb-only disorder\t\tHP:0000201\tPMID:3\tPCS\t\tHP:0040283\t\t\tP\tx
ORPHA:300\tLimb-only disorder\t\tHP:0003581\tPMID:3\tPCS\t\t\t\t\tC\tx
"""


def write_release(folder: Path) -> Path:
    """Write hp.obo and phenotype.hpoa of the tiny release into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hp.obo").write_text(OBO, encoding="utf-8")
    (folder / "phenotype.hpoa").write_text(HPOA, encoding="utf-8")
    return folder
