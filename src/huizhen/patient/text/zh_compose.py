"""Chinese symptom phrases composed of a body part and a symptom word.

Why generate them: Chinese notes name a pain, a swelling, a numbness or a
weakness by joining a body part to a symptom word (膝关节疼痛, 双下肢浮肿, 手指发麻,
双下肢无力), with many spellings of each half (膝/膝盖/膝关节, 痛/疼/疼痛/胀痛/隐痛 ...).
HPO's official translation has one label per term (膝痛), so a dictionary of
labels misses most of them.  The product of the two small lists below covers
them, and each half maps to one HPO term by its English label (resolved against
the installed release when the lexicon is built).  These entries rank below
HPO's own labels and the curated supplement.
"""

from __future__ import annotations

from collections.abc import Iterator

PAIN_WORDS = ("痛", "疼", "疼痛", "酸痛", "胀痛", "刺痛", "隐痛", "绞痛", "钝痛", "剧痛", "灼痛", "肿痛",
              "烧灼痛", "痛疼", "锐痛", "红痛", "红肿热痛", "肿胀疼痛")
SWELLING_WORDS = ("肿", "肿胀", "水肿", "浮肿")
#: 发麻 / 麻 (tingling, pins and needles) is *Paresthesia*; 麻木 (numbness, loss of
#: feeling) is *Hypoesthesia*, whose HPO exact synonym is "Numbness" (see NUMB_PART).
NUMB_WORDS = ("发麻", "麻")
NUMBNESS_WORDS = ("麻木",)
WEAK_WORDS = ("无力", "力弱", "乏力", "没劲")

#: English HPO label -> body-part spellings, for each symptom kind.
PAIN_PARTS: dict[str, tuple[str, ...]] = {
    "Headache": ("头", "头部"),
    "Chest pain": ("胸", "胸部", "胸口", "心前区", "胸骨后"),
    "Abdominal pain": ("腹", "腹部", "肚子", "下腹", "下腹部", "小腹", "脐周", "全腹", "右上腹",
                       "左上腹", "右下腹", "左下腹", "右腹", "左腹"),
    "Epigastric pain": ("上腹", "上腹部", "胃", "胃部", "剑突下", "中上腹"),
    "Back pain": ("背", "背部", "后背"),
    "Low back pain": ("腰", "腰部", "腰骶部", "下背部"),
    "Flank pain": ("腰腹", "腰腹部", "侧腹", "侧腹部", "胁肋", "肋腹"),
    "Neck pain": ("颈", "颈部", "脖子", "颈项", "颈后"),
    "Shoulder pain": ("肩", "肩部", "肩膀", "肩关节"),
    "Knee pain": ("膝", "膝盖", "膝关节", "膝部"),
    "Hip pain": ("髋", "髋部", "髋关节"),
    "Ankle pain": ("踝", "踝关节", "脚踝", "踝部"),
    "Wrist pain": ("腕", "腕关节", "手腕", "腕部"),
    "Elbow pain": ("肘", "肘关节", "肘部"),
    "Foot pain": ("足", "脚", "足部", "脚底", "足跟", "脚跟"),
    "Hand pain": ("手", "手部", "手掌"),
    "Lower limb pain": ("腿", "下肢", "小腿", "大腿", "腿部"),
    "Upper limb pain": ("上肢", "手臂", "胳膊", "臂"),
    "Limb pain": ("四肢", "肢体"),
    "Bone pain": ("骨", "骨骼", "全身骨"),
    "Mastalgia": ("乳房", "乳腺"),
    "Pelvic pain": ("盆腔",),
    "Ocular pain": ("眼", "眼部", "眼球", "眼睛", "眼眶", "眼眶后", "眼球后", "眼后", "眼周",
                    "眼眶周围"),
    "Ear pain": ("耳", "耳朵", "耳部"),
    "Pharyngalgia": ("咽", "咽部", "咽喉", "喉咙", "嗓子", "喉"),
    "Arthralgia": ("关节", "全身关节", "多关节", "四肢关节", "指关节", "手指关节"),
    "Myalgia": ("肌肉", "全身肌肉", "四肢肌肉"),
    "Anal pain": ("肛门", "肛周"),
    "Testicular pain": ("睾丸",),
    "Scrotal pain": ("阴囊",),
    "Tongue pain": ("舌", "舌头"),
}
SWELLING_PARTS: dict[str, tuple[str, ...]] = {
    "Pedal edema": ("下肢", "双下肢", "腿", "双腿", "小腿", "脚", "足", "双足", "踝", "脚踝",
                    "足背", "踝部"),
    "Facial edema": ("脸", "面部", "颜面", "颜面部", "脸部"),
    "Periorbital edema": ("眼睑", "眼皮", "眼周", "双眼睑"),
    "Joint swelling": ("关节", "膝关节", "指关节", "手指关节", "踝关节", "腕关节", "多关节"),
    "Edema of the upper limbs": ("上肢", "双上肢", "手臂", "手"),
}
NUMB_PARTS: dict[str, tuple[str, ...]] = {
    "Paresthesia": ("脚", "手脚", "手足", "四肢", "肢体", "双下肢", "下肢", "双上肢", "上肢",
                    "脚趾", "足趾", "面部", "口周", "舌", "半身", "双足"),
    "Hand paresthesia": ("手", "双手", "手指", "指尖", "手掌", "十指"),
}
#: Every body part that takes 麻木 (numbness): coded *Hypoesthesia*, as HPO codes
#: "numbness" (its exact synonym), not *Paresthesia* (tingling, pins and needles).
NUMB_PART: tuple[str, ...] = tuple(p for parts in NUMB_PARTS.values() for p in parts)
WEAK_PARTS: dict[str, tuple[str, ...]] = {
    "Limb muscle weakness": ("四肢", "肢体"),
    "Lower limb muscle weakness": ("下肢", "双下肢", "双腿", "腿", "腿部"),
    "Upper limb muscle weakness": ("上肢", "双上肢", "手臂", "双臂", "胳膊"),
}


def compositions() -> Iterator[tuple[str, str]]:
    """(Chinese phrase, English HPO label) for every body part × symptom word."""
    for table, words in ((PAIN_PARTS, PAIN_WORDS), (SWELLING_PARTS, SWELLING_WORDS),
                         (NUMB_PARTS, NUMB_WORDS), (WEAK_PARTS, WEAK_WORDS),
                         ({"Hypoesthesia": NUMB_PART}, NUMBNESS_WORDS)):
        for label, parts in table.items():
            for part in parts:
                for word in words:
                    yield part + word, label
