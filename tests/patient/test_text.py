from __future__ import annotations

import pytest

from huizhen.patient.derive import derive
from huizhen.patient.model import Patient, Sex
from huizhen.patient.text import detect_lang, read_text
from huizhen.patient.text.context import find_cues, sentences
from huizhen.patient.text.vitals import find_vitals

EN = ("45-year-old man with 3 days of fever and productive cough. Denies chest pain or "
      "haemoptysis. T 38.9C, HR 112, BP 150/95, SpO2 91% on RA. Takes metformin 500 mg bid; "
      "allergic to penicillin. Mother has diabetes. History of asthma. Possible pneumonia.")
ZH = ("患者女，62岁，反復咳嗽、咳痰1月，無發熱。查体：T 36.8℃ P 88次/分 R 20次/分 BP 135/80mmHg。"
      "否认高血压、糖尿病史。父亲有冠心病。长期服用阿司匹林。疑似肺结核。")


def _findings(p: Patient) -> list[tuple[str, bool, str, str, str]]:
    return [(f.code.code if f.code else "", f.present, f.certainty, f.origin,
             (p.text or "")[f.source.start:f.source.end] if f.source and f.source.start is not None
             else "") for f in p.findings]


def test_english_note_whole_output() -> None:
    p = derive(read_text(EN))
    assert (p.lang, p.sex, p.age_years) == ("en", Sex.MALE, 45.0)
    assert _findings(p) == [
        ("HP:0001945", True, "confirmed", "text", "fever"),
        ("HP:0031245", True, "confirmed", "text", "productive cough"),
        ("HP:0100749", False, "confirmed", "text", "chest pain"),
        ("HP:0002105", False, "confirmed", "text", "haemoptysis"),
        ("HP:0000819", True, "family", "text", "diabetes"),
        ("HP:0002099", True, "history", "text", "asthma"),
        ("HP:0002090", True, "possible", "text", "pneumonia"),
        ("HP:0001649", True, "confirmed", "derived", "HR 112"),
        ("HP:0000822", True, "confirmed", "derived", "BP 150/95"),
        ("HP:0012418", True, "confirmed", "derived", "SpO2 91%"),
    ]
    assert [(m.code.code, m.value, m.unit) for m in p.measurements if m.code] == [
        ("8310-5", 38.9, "Cel"), ("8867-4", 112.0, "/min"), ("8480-6", 150.0, "mm[Hg]"),
        ("8462-4", 95.0, "mm[Hg]"), ("59408-5", 91.0, "%")]
    assert [(m.written, m.status) for m in p.medications] == [("metformin", "active")]
    assert [a.substance for a in p.allergies] == ["penicillin"]
    # the family member's diabetes is not the patient's
    assert "HP:0000819" not in p.hpo_ids()
    assert p.unparsed == []


def test_chinese_note_traditional_characters_whole_output() -> None:
    p = derive(read_text(ZH))
    assert (p.lang, p.sex, p.age_years) == ("zh", Sex.FEMALE, 62.0)
    assert _findings(p) == [
        ("HP:0012735", True, "confirmed", "text", "咳嗽"),
        ("HP:0031245", True, "confirmed", "text", "咳痰"),
        ("HP:0001945", False, "confirmed", "text", "發熱"),  # 無 (Traditional) negates
        ("HP:0000822", False, "confirmed", "text", "高血压"),
        ("HP:0000819", False, "confirmed", "text", "糖尿病"),
        ("HP:0001677", True, "family", "text", "冠心病"),
        ("HP:0032262", True, "possible", "text", "肺结核"),
    ]
    assert [(m.code.code, m.value) for m in p.measurements if m.code] == [
        ("8310-5", 36.8), ("8867-4", 88.0), ("9279-1", 20.0), ("8480-6", 135.0), ("8462-4", 80.0)]
    assert [(m.written, m.status) for m in p.medications] == [("阿司匹林", "active")]


@pytest.mark.parametrize(("text", "present", "excluded"), [
    ("无发热，咳嗽3天", ["HP:0012735"], ["HP:0001945"]),  # comma ends Chinese negation
    ("无明显诱因出现发热", ["HP:0001945"], []),  # pseudo-negation
    ("四肢无力", ["HP:0003690"], []),  # 无 inside a term is not a cue
    ("无尿失禁", [], ["HP:0000020"]),  # 无尿 must not swallow 尿失禁
    ("Afebrile. No rash.", [], ["HP:0001945", "HP:0000988"]),
    ("Fever, but no cough.", ["HP:0001945"], ["HP:0012735"]),
    ("Denies fever, chills, or night sweats.", [],
     ["HP:0001945", "HP:0025143", "HP:0030166"]),
    ("His mother reports that he has a rash.", ["HP:0000988"], []),  # pseudo family cue
    ("Father has epilepsy; the patient has headaches.", ["HP:0002315"], []),
    ("水肿不明显", [], ["HP:0000969"]),  # post-negation
])
def test_context_rules(text: str, present: list[str], excluded: list[str]) -> None:
    p = read_text(text)
    assert (p.hpo_ids(present=True), p.hpo_ids(present=False)) == (present, excluded)


def test_inline_vitals_units_and_impossible_values() -> None:
    found, bad = find_vitals("体温38.5度，心率 110次/分，血压150/95mmHg，血肌酐 180 µmol/L，"
                             "Hb 95 g/L, temp 101.3 F, T 83℃")
    assert [(m.code.code, m.value, m.unit) for m in found if m.code] == [
        ("8310-5", 38.5, "Cel"), ("8867-4", 110.0, "/min"), ("8480-6", 150.0, "mm[Hg]"),
        ("8462-4", 95.0, "mm[Hg]"), ("2160-0", 180.0, "umol/L"), ("718-7", 95.0, "g/L"),
        ("8310-5", 101.3, "[degF]")]
    assert [(u.what, u.reason) for u in bad] == [
        ("T 83℃", "impossible Body temperature: outside 20-46 Cel")]


def test_sentences_and_cues() -> None:
    text = "No fever. BP 38.5 ok; 无咳嗽。"
    assert [text[a:b] for a, b in sentences(text)] == ["No fever.", " BP 38.5 ok;", " 无咳嗽。"]
    assert [(c.category, c.direction, text[c.start:c.end]) for c in find_cues(text, [])] == [
        ("negated", "pre", "No"), ("negated", "pre", "无")]


def test_detect_lang() -> None:
    assert detect_lang("发热3天 T 38.5") == "zh"
    assert detect_lang("fever for 3 days, 发热") == "en"


def test_text_with_nothing_recognised_is_listed() -> None:
    p = read_text("Patient seen today.")
    assert [(u.what, u.reason) for u in p.unparsed] == [("Patient seen today.", "nothing recognised")]
    p = read_text("患者男，45岁，发热3天，起病前有淋雨史，无咳嗽。Seen by the on-call team.")
    assert [(u.what, u.source.start if u.source else None) for u in p.unparsed] == [
        ("起病前有淋雨史", 13), ("Seen by the on-call team.", 25)]


def test_medications_with_dose_frequency_status_and_allergies() -> None:
    p = read_text("Takes metformin 500 mg bid, warfarin 2.5mg daily; stopped aspirin. "
                  "Digoxin 0.125 mg q12h. No ibuprofen. Allergic to penicillin and sulfa.")
    assert [(m.written, m.dose_value, m.dose_unit, m.per_day, m.status,
             [i.name for i in m.ingredients]) for m in p.medications] == [
        ("metformin", 500.0, "mg", 2.0, "active", ["Metformin"]),
        ("warfarin", 2.5, "mg", 1.0, "active", ["Warfarin"]),
        ("aspirin", None, None, None, "stopped", ["Acetylsalicylic acid"]),
        ("Digoxin", 0.125, "mg", 2.0, "active", ["Digoxin"]),
        ("ibuprofen", None, None, None, "not-taken", ["Ibuprofen"])]
    assert [a.substance for a in p.allergies] == ["penicillin", "sulfa"]
    zh = read_text("长期服用二甲双胍 500mg 每日两次。否认药物过敏史。对青霉素过敏。")
    assert [(m.written, m.dose_value, m.per_day) for m in zh.medications] == [
        ("二甲双胍", 500.0, 2.0)]
    assert [a.substance for a in zh.allergies] == ["青霉素"]


def test_proposed_drugs_are_not_taken_yet() -> None:
    p = read_text("Plan: start amoxicillin 500 mg tid. Takes metformin. 处理：头孢曲松 2g 每日一次。")
    assert [(m.written, m.status, m.per_day) for m in p.medications] == [
        ("amoxicillin", "proposed", 3.0), ("metformin", "active", None),
        ("头孢曲松", "proposed", 1.0)]


def test_pregnancy_and_lactation() -> None:
    p = read_text("孕24周，下肢水肿。")
    assert (p.pregnant, p.gestational_weeks, p.lactating) == (True, 24.0, None)
    p = read_text("产后2月，哺乳期，乳房胀痛。")
    assert (p.pregnant, p.lactating) == (None, True)
    p = read_text("Not pregnant, not breastfeeding.")
    assert (p.pregnant, p.lactating) == (None, None)


@pytest.mark.parametrize(("text", "weeks"), [
    ("女，32岁，头痛三天。怀孕20周。", 20.0),
    ("孕32+3周，下肢水肿。", 32.0),
    ("妊娠12周，恶心呕吐。", 12.0),
    ("A 30-year-old woman, 20 weeks pregnant, with headache.", 20.0),
    ("G2P1 at 34/40 with headache.", 34.0),
    ("She is pregnant. GA 28 weeks.", 28.0),
    ("怀孕，无不适。", None),
])
def test_gestational_age_wherever_it_is_written(text: str, weeks: float | None) -> None:
    p = read_text(text)
    assert (p.pregnant, p.gestational_weeks) == (True, weeks)


def test_chinese_body_part_symptom_phrases() -> None:
    p = read_text("左膝关节疼痛3天，双下肢浮肿，手指发麻，双下肢无力，右上腹胀痛，无头痛。")
    assert [(f.code.code if f.code else "", f.present, f.source.text if f.source else "")
            for f in p.findings] == [
        ("HP:0030839", True, "膝关节疼痛"), ("HP:0010741", True, "双下肢浮肿"),
        ("HP:0033660", True, "手指发麻"), ("HP:0007340", True, "双下肢无力"),
        ("HP:0002027", True, "右上腹胀痛"), ("HP:0002315", False, "头痛")]


def test_english_word_forms_and_order() -> None:
    p = read_text("Swollen joints, stiff neck, itchy eyes, enlarged liver, pain in the chest, "
                  "aching muscles, no bladder or bowel incontinence.")
    assert (p.hpo_ids(), p.hpo_ids(present=False)) == (
        ["HP:0001386", "HP:0031179", "HP:0033841", "HP:0002240", "HP:0100749", "HP:0003326"],
        ["HP:0000020", "HP:0002607"])


@pytest.mark.parametrize(("text", "present", "excluded"), [
    ("ROS: no fever, no cough. Headache: yes.", ["HP:0002315"], ["HP:0001945", "HP:0012735"]),
    ("Fever: no. Cough: yes. Rash - denies.", ["HP:0012735"], ["HP:0001945", "HP:0000988"]),
    ("发热：无。咳嗽：有。查体：无水肿。", ["HP:0012735"], ["HP:0001945", "HP:0000969"]),
])
def test_review_of_systems_answers(text: str, present: list[str], excluded: list[str]) -> None:
    p = read_text(text)
    assert (p.hpo_ids(present=True), p.hpo_ids(present=False)) == (present, excluded)


def test_heart_rate_with_words_between() -> None:
    found, _ = find_vitals("Pulse irregularly irregular at 132. Heart rate of 48 bpm.")
    assert [(m.code.code, m.value) for m in found if m.code] == [("8867-4", 132.0),
                                                                 ("8867-4", 48.0)]


def test_english_variants_word_order_side_words_and_coordination() -> None:
    """Inflected forms, side and severity words inside a term, coordination sharing
    a head, and pain said of another finding: one general rule each."""
    text = ("Drooping of the left side of the face, unable to close the right eye. "
            "Left calf swelling and pain. Pain and swelling of the right knee. "
            "Stretchy skin, painful mouth ulcers, cramping abdominal pain. "
            "Incontinent of urine. Normal intelligence.")
    p = read_text(text)
    assert _findings(p) == [
        ("HP:0010628", True, "confirmed", "text", "Drooping of the left side of the face"),
        ("HP:0030001", True, "confirmed", "text", "unable to close the right eye"),
        ("HP:0012514", True, "confirmed", "text", "pain"),
        ("HP:0030839", True, "confirmed", "text", "Pain"),
        ("HP:0000974", True, "confirmed", "text", "Stretchy skin"),
        ("HP:0000155", True, "confirmed", "text", "mouth ulcers"),
        ("HP:0002027", True, "confirmed", "text", "cramping abdominal"),
        ("HP:0000020", True, "confirmed", "text", "Incontinent of urine"),
        ("HP:0001249", False, "confirmed", "text", "Normal intelligence"),
    ]


def test_chinese_synonym_endings_and_degree_words() -> None:
    """Official labels with an interchangeable ending (听力减退 ~ 听力下降) and degree
    words inside a term (头部剧烈疼痛) are found; the plain term keeps its own match."""
    p = read_text("头部剧烈疼痛，双下肢轻度水肿，听力下降，阵发性腹痛，握力下降。无肝脏增大。")
    assert _findings(p) == [
        ("HP:0002315", True, "confirmed", "text", "头部剧烈疼痛"),
        ("HP:0010741", True, "confirmed", "text", "双下肢轻度水肿"),
        ("HP:0000365", True, "confirmed", "text", "听力下降"),
        ("HP:0002574", True, "confirmed", "text", "阵发性腹痛"),
        ("HP:0033466", True, "confirmed", "text", "握力下降"),
        ("HP:0002240", False, "confirmed", "text", "肝脏增大"),
    ]


def test_informants_without_scope_sentence_breaks_and_posture_bp() -> None:
    """A relative who brings the patient is not a relative with the finding; "without"
    negates its own phrase; no term spans a full stop; one-word terms are not stemmed
    ("sleeps" is not "sleepy"); a reading named by posture after a BP is read."""
    text = ("Brought in by her daughter: more confused than usual. Mother has diabetes. "
            "Red eyes without discharge, cracked lips. Sleeps on three pillows. "
            "Pulse irregular. Periods regular. BP 92/58 lying, 78/50 standing.")
    p = derive(read_text(text))
    assert _findings(p) == [
        ("HP:0001289", True, "confirmed", "text", "confused"),
        ("HP:0000819", True, "family", "text", "diabetes"),
        ("HP:0025337", True, "confirmed", "text", "Red eyes"),
        ("HP:0040181", True, "confirmed", "text", "cracked lips"),
        ("HP:0012764", True, "confirmed", "text", "three pillows"),
        ("HP:0011675", True, "confirmed", "text", "Pulse irregular"),
        ("HP:0002615", True, "confirmed", "derived", "78/50 standing"),
    ]
    assert [m.value for m in p.measurements] == [92.0, 58.0, 78.0, 50.0]


def test_chinese_informant_and_shared_symptom() -> None:
    p = read_text("女儿代诉：较平时糊涂。颜面及双手浮肿，双肩及双髋疼痛，口唇及舌肿胀。")
    assert _findings(p) == [
        ("HP:0001289", True, "confirmed", "text", "糊涂"),
        ("HP:0000282", True, "confirmed", "text", "颜面"),
        ("HP:0010742", True, "confirmed", "text", "手浮肿"),
        ("HP:0030834", True, "confirmed", "text", "双肩"),
        ("HP:0030838", True, "confirmed", "text", "髋疼痛"),
        ("HP:0031244", True, "confirmed", "text", "口唇"),
        ("HP:0040315", True, "confirmed", "text", "舌肿胀"),
    ]


def test_past_denial_descriptors_and_inline_bmi() -> None:
    """A denial of the past does not exclude what is present now; a word describing the
    next finding (痉挛性咳嗽, 压榨样疼痛) is not a finding; BMI written inline is read."""
    p = derive(read_text("Crushing chest pain for 40 minutes. No previous chest pain. BMI 33."))
    assert _findings(p) == [
        ("HP:0100749", True, "confirmed", "text", "chest pain"),
        ("HP:0001513", True, "confirmed", "derived", "BMI 33"),
    ]
    p = read_text("胸骨后压榨样疼痛40分钟，阵发性痉挛性咳嗽。既往无胸痛。")
    assert _findings(p) == [
        ("HP:0100749", True, "confirmed", "text", "胸骨后压榨样疼痛"),
        ("HP:0012735", True, "confirmed", "text", "咳嗽"),
    ]


def test_abbreviations_only_in_capitals() -> None:
    p = read_text("Does well at school. DOE on stairs, a sob story.")
    assert _findings(p) == [("HP:0002875", True, "confirmed", "text", "DOE")]


def test_pronouns_inside_a_term_and_delay_endings() -> None:
    p = read_text("He flaps his hands and walks on his toes.")
    assert _findings(p) == [
        ("HP:0100023", True, "confirmed", "text", "flaps his hands"),
        ("HP:0030051", True, "confirmed", "text", "walks on his toes"),
    ]
    p = read_text("语言发育延迟，尿量明显增多。")
    assert _findings(p) == [
        ("HP:0000750", True, "confirmed", "text", "语言发育延迟"),
        ("HP:0000103", True, "confirmed", "text", "尿量明显增多"),
    ]


@pytest.mark.parametrize(("text", "present", "excluded"), [
    # one fall that caused an injury is not the phenotype Falls; falling often is
    ("Swollen painful knee after a minor fall.", ["HP:0030839"], []),
    ("Unsteady, now falls often.", ["HP:0002317", "HP:0002527"], []),
    ("轻微跌倒后膝关节肿痛。", ["HP:0030839", "HP:0001386"], []),
    ("现常跌倒。", ["HP:0002527"], []),
    # wrong-sense words: anatomy, rigors, the tonic phase of a seizure
    ("Burrows seen in the finger webs.", [], []),
    ("Fevers and shaking chills.", ["HP:0001945", "HP:0025143"], []),
    ("突然全身强直、继之四肢抽搐。", ["HP:0001250"], []),
    # coding choices from HPO's own synonyms (see lexicon.tsv)
    ("Numbness in both feet, tingling in the fingers.", ["HP:0033748", "HP:0033660"], []),
    ("双足麻木，手指发麻。", ["HP:0033748", "HP:0033660"], []),
    ("Yellow eyes and dark urine.", ["HP:0032106", "HP:0040319"], []),
    ("巩膜黄染，杵状指。", ["HP:0032106", "HP:0100759"], []),
    ("长期排尿费力，无尿痛。", ["HP:0000019"], ["HP:0100518"]),
    # a sentence that makes a general finding specific, by the specific term's definition
    ("Sudden worst-ever headache.", ["HP:0030907"], []),
    ("突发胸痛，深吸气时加重。", ["HP:0033771"], []),
    ("Vomiting green fluid.", ["HP:0034754"], []),
    ("咳后呕吐。", ["HP:0034783"], []),
    ("双眼球结膜可见毛细血管扩张，反复鼻窦炎。", ["HP:0000524", "HP:0011108"], []),
    ("Sudden right arm and leg weakness.", ["HP:0001269"], []),
    # no term across a comma; 肝肋下未触及 states the absence
    ("Tingling in the fingers, painful muscle cramps.", ["HP:0033660", "HP:0003326",
                                                         "HP:0003394"], []),
    ("肝肋下3cm，脾肋下未触及。", ["HP:0002240"], ["HP:0001744"]),
])
def test_wrong_senses_coding_choices_and_qualifiers(text: str, present: list[str],
                                                    excluded: list[str]) -> None:
    p = read_text(text)
    assert (p.hpo_ids(present=True), p.hpo_ids(present=False)) == (present, excluded)
