"""The same letter laid out differently gives the same case.

Variants are generated from the seed letters: other line ends (CRLF, CR), a byte-order mark,
other blank-line patterns, page headers and footers (with and without form feeds), the text
re-wrapped at other widths, and a PDF holding the letter's lines.

What "the same case" means here:
- variants whose normalised text is identical to the seed's (line ends, blank lines, BOM,
  page furniture, the PDF) must give an *identical* case, evidence offsets included; only
  `source.file` differs;
- re-wrapped variants move line breaks, so offsets and the line breaks inside quotes move
  with them: the case must be identical once evidence `start`/`end` are dropped and every
  run of whitespace in a string is read as one space.

Run this file as a script to rewrite the PDF fixture in examples/letters/:
    python tests/test_extract_robustness.py
"""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jsonschema  # noqa: E402
import pytest  # noqa: E402

from engine.extraction import extract_case, read_letter  # noqa: E402
from engine.paths import SCHEMA_DIR  # noqa: E402

LETTERS = ROOT / "examples" / "letters"
SEEDS = sorted(LETTERS.glob("*.txt"))
FIXTURE_SEED = LETTERS / "000_83b90a26cef0192d.txt"
FIXTURE_PDF = ROOT / "tests" / "fixtures" / "seed-000-as-pdf.pdf"
LINES_PER_PAGE = 50
VALIDATOR = jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / "case.schema.json").read_text()))


# --------------------------------------------------------------------------- a minimal PDF writer

def write_text_pdf(pages: list[list[str]], *, font_size: int = 9, leading: int = 11) -> bytes:
    """A PDF (1.4, Helvetica, one text line per PDF line) holding `pages` of lines.

    Deterministic: the same lines give the same bytes. Characters outside Windows-1252 are
    not supported (the seed letters are ASCII).
    """
    objects: list[bytes | None] = []

    def add(body: bytes | None) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(None)
    pages_id = add(None)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = [b"BT", b"/F1 %d Tf" % font_size, b"%d TL" % leading, b"40 752 Td"]
        for index, line in enumerate(lines):
            raw = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append((b"T* " if index else b"") + b"(" + raw + b") Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages_id, font, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                             + b"] /Count %d >>" % len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def seed_lines(raw: str) -> list[str]:
    """The letter's lines as printed (the blank lines of the text files dropped)."""
    return [line.rstrip() for line in raw.splitlines() if line.strip()]


def paginate(lines: list[str], size: int = LINES_PER_PAGE) -> list[list[str]]:
    return [lines[i:i + size] for i in range(0, len(lines), size)]


def fixture_pdf_bytes() -> bytes:
    return write_text_pdf(paginate(seed_lines(FIXTURE_SEED.read_text(encoding="utf-8"))))


# --------------------------------------------------------------------------- variants

def with_crlf(raw: str) -> str:
    return raw.replace("\n", "\r\n")


def with_cr(raw: str) -> str:
    return raw.replace("\n", "\r")


def without_blank_lines(raw: str) -> str:
    return "\n".join(seed_lines(raw)) + "\n"


def with_many_blank_lines(raw: str) -> str:
    return "\n \t\n\n".join(seed_lines(raw)) + "\n\n\n"


def with_bom(raw: str) -> str:
    return "\ufeff" + raw


def with_page_furniture_and_form_feeds(raw: str) -> str:
    pages = paginate(seed_lines(raw), 30)
    out = []
    for number, lines in enumerate(pages, 1):
        out.append("\n".join(["Independent Medical Review Final Determination", "", *lines, "",
                              f"Page {number} of {len(pages)}"]))
    return "\f".join(out) + "\n"


def with_bare_page_numbers_and_form_feeds(raw: str) -> str:
    pages = paginate(seed_lines(raw), 25)
    return "\f".join("\n".join([*lines, f"- {number} -"]) for number, lines in enumerate(pages, 1)) + "\n"


def with_page_lines_without_form_feeds(raw: str) -> str:
    pages = paginate(seed_lines(raw), 35)
    out = []
    for number, lines in enumerate(pages, 1):
        out.extend(lines)
        out.extend(["", str(number), f"Page {number} of {len(pages)}", ""])
    return "\n".join(out)


EXACT_VARIANTS = {
    "crlf": with_crlf,
    "cr": with_cr,
    "no_blank_lines": without_blank_lines,
    "many_blank_lines": with_many_blank_lines,
    "bom": with_bom,
    "headers_footers_form_feeds": with_page_furniture_and_form_feeds,
    "page_numbers_form_feeds": with_bare_page_numbers_and_form_feeds,
    "page_lines_no_form_feeds": with_page_lines_without_form_feeds,
}


def _structural(line: str) -> bool:
    """Lines a re-layout keeps on a line of their own: headings, labels, intros."""
    text = line.strip()
    letters = [c for c in text if c.isalpha()]
    return (bool(letters) and all(c.isupper() for c in letters)) or text.endswith(":") or \
        text.startswith(("State(s) of Licensure", "Certification(s)/Specialty"))


def rewrap(raw: str, width: int) -> str:
    """Re-flow every paragraph of a seed letter at `width` columns. Paragraphs are the runs
    of lines between whitespace-only lines; headings and label lines stay on their own."""
    paragraphs: list[list[str]] = [[]]
    for line in raw.splitlines():
        if not line:
            continue                       # the text letters' blank line after every line
        if not line.strip() or _structural(line):
            paragraphs.append([line.strip()] if line.strip() else [])
            paragraphs.append([])
            continue
        paragraphs[-1].append(line.strip())
    out = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        # A line that ended in a hyphen joins the next without a space ("C7-" + "T1").
        joined = paragraph[0]
        for line in paragraph[1:]:
            joined += line if len(joined) > 1 and joined[-1] == "-" and joined[-2].isalnum() else " " + line
        out.extend(textwrap.wrap(joined, width=width, break_long_words=False, break_on_hyphens=True))
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- comparison

def without_source(case: dict) -> dict:
    case = dict(case)
    case.pop("source", None)
    return case


def loose(value):
    """The case with evidence offsets dropped and whitespace runs in strings made single."""
    if isinstance(value, dict):
        return {k: loose(v) for k, v in value.items() if k not in ("start", "end", "source")}
    if isinstance(value, list):
        return [loose(v) for v in value]
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def _write(tmp_path: Path, folder: str, name: str, content: str | bytes) -> Path:
    target = tmp_path / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_bytes(content.encode("utf-8"))
    return target


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("variant", sorted(EXACT_VARIANTS))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_layout_variants_give_the_identical_case(tmp_path, seed, variant):
    raw = seed.read_text(encoding="utf-8")
    path = _write(tmp_path, variant, seed.name, EXACT_VARIANTS[variant](raw))
    assert read_letter(path) == read_letter(seed)
    for mode in ("summary", "full"):
        expected = extract_case(seed, mode=mode)
        got = extract_case(path, mode=mode)
        assert without_source(got) == without_source(expected)
        assert got["source"]["file"] == str(path)


@pytest.mark.parametrize("width", [30, 48, 72, 110, 160])
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_rewrapped_letters_give_the_same_case(tmp_path, seed, width):
    raw = seed.read_text(encoding="utf-8")
    variant = rewrap(raw, width)
    assert variant.count("\n") != raw.count("\n")          # the layout really changed
    path = _write(tmp_path, f"w{width}", seed.name, variant)
    for mode in ("summary", "full"):
        expected = extract_case(seed, mode=mode)
        got = extract_case(path, mode=mode)
        VALIDATOR.validate(got)
        assert loose(got) == loose(expected)
        text = read_letter(path)
        for request in got["requests"]:
            ev = request["evidence"]
            assert text[ev["start"]:ev["end"]] == ev["quote"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_pdf_made_from_a_seed_gives_the_identical_case(tmp_path, seed):
    lines = seed_lines(seed.read_text(encoding="utf-8"))
    pdf = _write(tmp_path, "pdf", seed.with_suffix(".pdf").name, write_text_pdf(paginate(lines, 40)))
    assert read_letter(pdf) == read_letter(seed)
    for mode in ("summary", "full"):
        got = extract_case(pdf, mode=mode)
        VALIDATOR.validate(got)
        assert without_source(got) == without_source(extract_case(seed, mode=mode))


def test_pdf_with_page_footers_gives_the_identical_case(tmp_path):
    lines = seed_lines(FIXTURE_SEED.read_text(encoding="utf-8"))
    pages = paginate(lines, 30)
    pages = [["Independent Medical Review Final Determination", *page, f"Page {n} of {len(pages)}"]
             for n, page in enumerate(pages, 1)]
    pdf = _write(tmp_path, "pdf", FIXTURE_SEED.with_suffix(".pdf").name, write_text_pdf(pages))
    assert read_letter(pdf) == read_letter(FIXTURE_SEED)
    assert without_source(extract_case(pdf, mode="full")) == without_source(extract_case(FIXTURE_SEED, mode="full"))


def test_pdf_fixture_is_current_and_reads_like_its_seed():
    assert FIXTURE_PDF.is_file(), "run: python tests/test_extract_robustness.py"
    assert FIXTURE_PDF.read_bytes() == fixture_pdf_bytes(), "fixture is stale: python tests/test_extract_robustness.py"
    assert read_letter(FIXTURE_PDF) == read_letter(FIXTURE_SEED)
    case = extract_case(FIXTURE_PDF)
    assert [r["text"] for r in case["requests"]] == ["Norco 10/325mg #120 DOS: 8/4/15",
                                                     "Methocarbamol 500mg #60 DOS: 8/4/15"]
    assert "C7-T1 facet" in " ".join(read_letter(FIXTURE_PDF).split())


def test_rewrap_really_moves_item_lines(tmp_path):
    # At a narrow width the item lines themselves wrap; the requests are still whole.
    seed = LETTERS / "003_572d8b93f8cec80c.txt"
    text = read_letter(_write(tmp_path, "narrow", seed.name, rewrap(seed.read_text(encoding="utf-8"), 30)))
    assert "120 tablets of Norco 10/325 mg with 2 refills: Upheld" not in text
    case = extract_case(tmp_path / "narrow" / seed.name)
    assert [r["text"] for r in case["requests"]] == ["120 tablets of Norco 10/325 mg with 2 refills",
                                                     "30 tablets of Zanaflex 4mg with 2 refills"]


if __name__ == "__main__":
    FIXTURE_PDF.write_bytes(fixture_pdf_bytes())
    print(f"wrote {FIXTURE_PDF.relative_to(ROOT)}")
