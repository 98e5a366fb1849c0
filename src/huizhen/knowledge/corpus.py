"""Reading documents into the knowledge base: Markdown, HTML, text, PDF, DOCX and MedQuAD.

Why here: parsing is the only place raw files are seen. Each parser returns a
:class:`~huizhen.store.model.Document` whose sections keep their heading path,
so every passage can later be cited as "document › section". A file that cannot
be read is reported (file, field, value) and skipped; the others are ingested,
and the report says how many failed so the CLI exits non-zero.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

from huizhen.errors import HuizhenError, InputError, UnsupportedFormatError
from huizhen.paths import PACKAGE_DATA
from huizhen.retrieval.tokenize import detect_language
from huizhen.store.base import ChunkRow, KnowledgeStore
from huizhen.store.model import PUBLIC, Document, Section

#: The MedQuAD corpus shipped with huizhen (xz-compressed jsonl, CC BY 4.0).
MEDQUAD_CORPUS = PACKAGE_DATA / "kb" / "medquad-corpus.jsonl.xz"
MEDQUAD_LICENSE = "CC BY 4.0 (MedQuAD, Ben Abacha & Demner-Fushman 2019)"
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
            ".txt": "text", ".text": "text", ".pdf": "pdf", ".docx": "docx",
            ".jsonl": "medquad", ".xz": "medquad"}


# -- MedQuAD -------------------------------------------------------------------------------
def medquad_document(record: dict[str, object], scope: str = PUBLIC, where: str = "") -> Document:
    """One MedQuAD record as a document: each answer is a section headed by its ``qtype``."""
    for key in ("doc_id", "title", "sections"):
        if key not in record:
            raise InputError("MedQuAD record without this field", source=where, field=key)
    title = str(record["title"]).strip()
    raw_sections = record["sections"]
    if not isinstance(raw_sections, list):
        raise InputError("must be a list", source=where, field="sections", value=type(raw_sections).__name__)
    sections: list[Section] = []
    for s in raw_sections:
        if not isinstance(s, dict) or "text" not in s or "qtype" not in s:
            raise InputError("each section needs pid, qtype and text", source=where,
                             field="sections", value=str(s)[:60])
        if str(s["text"]).strip():
            sections.append(Section(anchor=str(s.get("pid", len(sections) + 1)),
                                    heading_path=(title, str(s["qtype"])), text=str(s["text"])))
    raw = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return Document(
        doc_id=str(record["doc_id"]), title=title, sections=sections,
        source=str(record.get("source", "")), url=str(record.get("url", "")),
        license=str(record.get("license", MEDQUAD_LICENSE)), language="en",
        version=str(record.get("collection", "")), scope=scope,
        content_hash=hashlib.sha256(raw).hexdigest(),
        synonyms=[str(s) for s in record.get("synonyms", []) or []],  # type: ignore[attr-defined]
    )


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def iter_medquad(path: Path = MEDQUAD_CORPUS, scope: str = PUBLIC) -> Iterator[Document]:
    """Documents of a MedQuAD corpus file (``.jsonl`` or ``.jsonl.xz``)."""
    with _open_text(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"not JSON ({err.msg})", source=f"{path}:{n}", field="line",
                                 value=line[:40]) from err
            if not isinstance(record, dict):
                raise InputError("each line must be a JSON object", source=f"{path}:{n}")
            yield medquad_document(record, scope, f"{path}:{n}")


# -- plain formats -------------------------------------------------------------------------
def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); "
                         "save it as UTF-8", source=str(path), field="encoding",
                         value=err.encoding) from err
    return text


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _sectioned(title: str, blocks: list[tuple[int, str] | str]) -> list[Section]:
    """Sections from a flat list of headings ``(level, text)`` and text blocks, keeping
    the path of enclosing headings. The document title is the root of every path."""
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []

    def flush() -> None:
        text = "\n".join(b for b in body if b.strip())
        if text.strip():
            path = (title, *[h for _, h in stack if h != title])
            sections.append(Section(anchor=str(len(sections) + 1), heading_path=path, text=text))
        body.clear()

    for block in blocks:
        if isinstance(block, tuple):
            flush()
            level, heading = block
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
        else:
            body.append(block)
    flush()
    return sections


def parse_markdown(path: Path, text: str) -> tuple[str, list[Section]]:
    blocks: list[tuple[int, str] | str] = []
    title = ""
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else _MD_HEADING.match(line)
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
            if not title and level == 1:
                title = heading
                continue
            blocks.append((level, heading))
        else:
            blocks.append(line)
    title = title or path.stem
    return title, _sectioned(title, blocks)


class _HTMLText(HTMLParser):
    """Headings and text blocks of an HTML page; scripts, styles and navigation dropped."""

    SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template", "svg"})
    BLOCK = frozenset({"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "dd", "dt",
             "blockquote", "pre", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str] | str] = []
        self.title = ""
        self._buf: list[str] = []
        self._skip = 0
        self._heading: int | None = None
        self._in_title = False

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        self._buf = []
        if text:
            if self._heading is not None:
                self.blocks.append((self._heading, text))
            else:
                self.blocks.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = int(tag[1])
        elif tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = None
        elif tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buf.append(data)


def parse_html(path: Path, text: str) -> tuple[str, list[Section]]:
    p = _HTMLText()
    p.feed(text)
    p.close()
    p._flush()
    blocks = p.blocks
    title = " ".join(p.title.split())
    h1 = next((b for b in blocks if isinstance(b, tuple) and b[0] == 1), None)
    if h1 is not None:
        title = title or h1[1]
        if h1[1] == title:
            blocks = [b for b in blocks if b is not h1]
    title = title or path.stem
    return title, _sectioned(title, blocks)


def parse_text(path: Path, text: str) -> tuple[str, list[Section]]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    title = lines[0].strip() if lines and len(lines[0].strip()) <= 80 and len(lines) > 1 else path.stem
    body = "\n".join(lines[1:]) if title != path.stem else "\n".join(lines)
    return title, [Section("1", (title,), body)] if body.strip() else []


def parse_pdf(path: Path, data: bytes) -> tuple[str, list[Section]]:
    """One section per page, so a citation can say which page. Encrypted PDFs that
    open with an empty password are read; others are refused with a clear message."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError("the PDF is encrypted with a password; export an unprotected copy",
                             source=str(path), field="encryption", value="password")
        pages = [(n, page.extract_text() or "") for n, page in enumerate(reader.pages, 1)]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except HuizhenError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as err:
        raise InputError(f"unreadable PDF ({type(err).__name__}: {err})", source=str(path),
                         field="pdf") from err
    except Exception as err:  # pypdf raises many internal types on corrupt files
        raise InputError(f"unreadable PDF ({type(err).__name__}: {err})", source=str(path),
                         field="pdf") from err
    title = " ".join(str(meta_title).split()) or path.stem
    sections = [Section(f"p{n}", (title, f"page {n}"), t) for n, t in pages if t.strip()]
    return title, sections


def parse_docx(path: Path, data: bytes) -> tuple[str, list[Section]]:
    """Word headings ("Heading 1..9", "Title") become the heading path; tables follow as text."""
    import zipfile

    import docx

    try:
        d = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise InputError(f"unreadable Word file ({type(err).__name__}: {err})", source=str(path),
                         field="docx") from err
    title = (d.core_properties.title or "").strip()
    blocks: list[tuple[int, str] | str] = []
    for para in d.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        m = re.match(r"Heading (\d)", style)
        if style == "Title":
            title = title or text
            if text == title:
                continue
            blocks.append((1, text))
        elif m:
            blocks.append((int(m.group(1)), text))
        else:
            blocks.append(text)
    for table in d.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(" | ".join(dict.fromkeys(cells)))
    title = title or path.stem
    return title, _sectioned(title, blocks)


def read_file(path: Path, scope: str = PUBLIC) -> Document:
    """Parse one non-MedQuAD file into a document, or raise an :class:`InputError`."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None or kind == "medquad":
        raise UnsupportedFormatError(
            "unknown format; huizhen reads .md .html .htm .txt .pdf .docx and MedQuAD .jsonl",
            source=str(path), field="suffix", value=path.suffix or "(none)")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read it ({err.strerror})", source=str(path)) from err
    if not data.strip():
        raise InputError("the file is empty", source=str(path), field="size", value=len(data))
    if kind == "pdf":
        title, sections = parse_pdf(path, data)
    elif kind == "docx":
        title, sections = parse_docx(path, data)
    else:
        text = _decode(path, data)
        parser = {"markdown": parse_markdown, "html": parse_html, "text": parse_text}[kind]
        title, sections = parser(path, text)
    if not sections:
        raise InputError("no text found in it" + (" (a scanned PDF needs OCR first)" if kind == "pdf"
                                                    else ""), source=str(path), field="text")
    lang = detect_language(title + "\n" + "\n".join(s.text for s in sections[:20]))
    return Document(doc_id=str(path.resolve()), title=title, sections=sections, source=path.name,
                    url=path.resolve().as_uri(), license="", language=lang,
                    version="", scope=scope, content_hash=hashlib.sha256(data).hexdigest())


# -- ingestion -----------------------------------------------------------------------------
@dataclass
class IngestReport:
    """What an ingest did; ``failed`` lists (file, message) of every skipped file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named, plus the readable files inside named folders (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


def is_medquad(path: Path) -> bool:
    return path.name.endswith((".jsonl", ".jsonl.xz"))


def _documents(path: Path, scope: str) -> Iterator[Document]:
    if is_medquad(path):
        yield from iter_medquad(path, scope)
    else:
        yield read_file(path, scope)


def ingest(paths: list[Path], store: KnowledgeStore, tenant: str | None = None,
           progress: Callable[[int, int, str], None] | None = None, batch: int = 200) -> IngestReport:
    """Ingest files and folders into ``store`` under ``tenant`` (default: public).

    Unchanged documents (same content hash) are skipped; a changed one replaces its
    old chunks in the same transaction that adds the new ones. Documents are
    committed in batches, so a killed ingest keeps every batch before the kill and
    nothing of the one in flight. Bad files are recorded in the report, not raised.
    ``progress(done, total, name)`` is called after each file."""
    from huizhen.retrieval.indexing import chunk_rows

    scope = tenant or PUBLIC
    report = IngestReport()
    files = expand_paths(paths)
    pending: list[tuple[Document, list[ChunkRow]]] = []

    def commit() -> None:
        if pending:
            store.put_documents(pending)
            pending.clear()

    for n, path in enumerate(files, 1):
        try:
            if not path.exists():
                raise InputError("no such file", source=str(path))
            for doc in _documents(path, scope):
                old = store.document_hash(scope, doc.doc_id)
                if old == doc.content_hash:
                    report.unchanged += 1
                    continue
                rows = chunk_rows(doc)
                if not rows:
                    raise InputError("no text found in it", source=f"{path}#{doc.doc_id}")
                pending.append((doc, rows))
                report.chunks += len(rows)
                if old is None:
                    report.added += 1
                else:
                    report.updated += 1
                if len(pending) >= batch:
                    commit()
            commit()
        except HuizhenError as err:
            pending.clear()  # a bad line in a jsonl drops that file's uncommitted batch only
            report.failed.append((str(path), err.render()))
        if progress:
            progress(n, len(files), path.name)
    return report


def init_default(store: KnowledgeStore, progress: Callable[[int, int, str], None] | None = None,
                 corpus: Path | None = None) -> tuple[IngestReport, int | None]:
    """Build the public MedQuAD knowledge base and attach its prebuilt embeddings.

    Returns the ingest report and how many chunks received a prebuilt vector
    (None when this installation ships none)."""
    from huizhen.retrieval.lexical import lexical_index
    from huizhen.retrieval.prebuilt import attach_prebuilt

    report = ingest([corpus or MEDQUAD_CORPUS], store, None, progress, batch=500)
    attached = attach_prebuilt(store)
    lexical_index(store)  # build and cache the in-memory index now, not on the first query
    return report, attached

