"""Small real documents of every format the knowledge base reads, written by the tests.

Loaded by path (``importlib``) from the kb tests in several folders.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

MD_EN = """# Community-acquired pneumonia protocol

Local protocol of the respiratory department.

## Diagnosis

Chest radiograph for every adult with suspected pneumonia. Score severity with CURB-65.

## Treatment

Amoxicillin 1 g three times daily for five days in low-severity pneumonia.
Add clarithromycin when atypical pathogens are suspected.

### Penicillin allergy

Doxycycline 200 mg on day one, then 100 mg daily.
"""

MD_ZH_TRADITIONAL = """# 糖尿病診療規範

## 治療

二甲雙胍是第一線口服降糖藥，腎功能不全時需減量。

## 併發症篩查

每年檢查眼底與尿微量白蛋白。
"""

HTML = """<!doctype html><html><head><title>Sepsis bundle</title>
<style>body { color: red }</style><script>var x = "not text";</script></head>
<body><nav>Home | Protocols</nav>
<h1>Sepsis bundle</h1>
<p>Recognise sepsis early with qSOFA.</p>
<h2>First hour</h2>
<ul><li>Measure lactate.</li><li>Obtain blood cultures before antibiotics.</li></ul>
<h2>Fluids</h2><p>Give 30 mL/kg crystalloid for hypotension.</p>
</body></html>
"""

TEXT = """Warfarin counselling sheet
Patients taking warfarin need regular INR monitoring.
Avoid large changes in vitamin K intake.
"""

MEDQUAD = [
    {"doc_id": "T-1", "collection": "test", "source": "TestSource", "url": "https://example.org/gout",
     "title": "Gout", "synonyms": ["podagra"], "sections": [
         {"pid": "1", "qtype": "information", "text": "Gout is a form of arthritis caused by uric acid crystals."},
         {"pid": "2", "qtype": "symptoms", "text": "Sudden severe pain, swelling and redness of the big toe joint."},
         {"pid": "3", "qtype": "treatment", "text": "Colchicine or NSAIDs treat attacks; allopurinol lowers urate."}]},
    {"doc_id": "T-2", "collection": "test", "source": "TestSource", "url": "https://example.org/asthma",
     "title": "Asthma", "synonyms": [], "sections": [
         {"pid": "1", "qtype": "information", "text": "Asthma is a chronic disease of the airways."},
         {"pid": "2", "qtype": "symptoms", "text": "Wheezing, cough, chest tightness and shortness of breath."},
         {"pid": "3", "qtype": "treatment", "text": "Inhaled corticosteroids control inflammation; "
                                                     "short-acting bronchodilators relieve attacks."}]},
]


def pdf_bytes(pages: list[str], title: str = "") -> bytes:
    """A minimal valid PDF (Helvetica text, one line per page), built by hand."""
    objs: list[bytes] = []
    n_pages = len(pages)
    font = 3 + 2 * n_pages
    info = font + 1
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, text in enumerate(pages):
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
                    f" /Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({esc}) Tj ET".encode()
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objs.append(f"<< /Title ({title}) >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objs) + 1, info, xref))
    return out.getvalue()


def encrypted_pdf_bytes() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes(["Secret protocol text"]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Heparin dosing", 0)
    d.add_heading("Dosage", 1)
    d.add_paragraph("Unfractionated heparin 80 units/kg bolus, then 18 units/kg/h infusion.")
    d.add_heading("Monitoring", 2)
    d.add_paragraph("Check aPTT six hours after every dose change.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "aPTT", "Action"
    table.cell(1, 0).text, table.cell(1, 1).text = "below 35 s", "rebolus 80 units/kg"
    d.save(str(path))


def write_good(folder: Path) -> dict[str, Path]:
    """One good document of each format; returns them by format."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "md": folder / "pneumonia.md", "zh": folder / "diabetes-zh.md", "html": folder / "sepsis.html",
        "txt": folder / "warfarin.txt", "pdf": folder / "stroke.pdf", "docx": folder / "heparin.docx",
        "jsonl": folder / "medquad.jsonl",
    }
    files["md"].write_text(MD_EN, encoding="utf-8")
    files["zh"].write_text(MD_ZH_TRADITIONAL, encoding="utf-8")
    files["html"].write_text(HTML, encoding="utf-8")
    files["txt"].write_text(TEXT, encoding="utf-8")
    files["pdf"].write_bytes(pdf_bytes(["Thrombolysis within 4.5 hours of stroke onset.",
                                        "Keep blood pressure below 185/110 before alteplase."],
                                       title="Acute stroke pathway"))
    write_docx(files["docx"])
    files["jsonl"].write_text("\n".join(json.dumps(r) for r in MEDQUAD) + "\n", encoding="utf-8")
    return files


def write_bad(folder: Path) -> dict[str, Path]:
    """One bad file of each kind the ingester must skip with a message."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "encrypted": folder / "locked.pdf", "corrupt": folder / "broken.pdf",
        "unknown": folder / "scan.tiff", "empty": folder / "empty.md", "latin1": folder / "latin1.txt",
    }
    files["encrypted"].write_bytes(encrypted_pdf_bytes())
    files["corrupt"].write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    files["unknown"].write_bytes(b"II*\x00binary")
    files["empty"].write_text("  \n", encoding="utf-8")
    files["latin1"].write_bytes("Fièvre et céphalée".encode("latin-1"))
    return files
