"""Reading a letter file into normalised text.

Input: a path to a `.txt` or `.pdf` letter (or raw text). Output: one string, the
normalised text, whose character offsets are the offsets every piece of evidence refers to.
Raises `LetterError` with a stable code for a file that is missing, empty, binary or an
unreadable PDF.

Normalisation is a pure function of the raw text (and, for PDFs, of the page breaks), it is
idempotent (`normalise_text(normalise_text(t)) == normalise_text(t)`), and it makes the
layouts seen in real letters look alike:

1. a byte-order mark is dropped; CRLF and CR become LF; a handful of typographic characters
   become ASCII (curly quotes, en and em dashes, non-breaking and zero-width spaces,
   ligatures); PDFium's end-of-line hyphen marker (U+FFFE) becomes "-";
2. every line is stripped and runs of spaces or tabs inside a line become one space (so a
   blanked-out name leaves one space, never a gap that patterns must allow for);
3. page furniture is dropped: "Page 2 of 5" lines anywhere; bare page numbers ("3", "- 3 -",
   "3/5") at the top or bottom of a page, or anywhere when they count up 1, 2, 3 ... through
   the letter; a line repeating the case number after the header; and a short line that
   recurs at the top or bottom of at least half of the pages (a running header or footer);
4. empty lines are dropped (the text letters put one after every line, the PDFs none);
5. a line ending in a hyphen right after a letter or digit is joined with the next line,
   keeping the hyphen: "C7-" + "T1 facet" gives "C7-T1 facet" and "non-" + "opioid therapy"
   gives "non-opioid therapy". Letters are typeset without automatic hyphenation, so a hyphen
   at a line end is a real one (the PDFs show "range-of-motion", "S-shaped", "11-21-2016").
   PDFium already joins such lines itself after a lower-case letter (marking the hyphen
   U+FFFE); joining the whole line, as it does, makes a text letter and the same letter as a
   PDF normalise to the same text.

Lines are otherwise kept as they are: the normalised text has one letter line per line,
joined with "\\n" and ending with one.
"""
from __future__ import annotations

import os
import re
from itertools import chain
from pathlib import Path

import yaml

from ..errors import EngineError
from ..paths import vocab_dir


class LetterError(EngineError, ValueError):
    """A file that cannot be read as an IMR letter.

    `code` is one of `letter_not_found`, `letter_empty`, `letter_binary`,
    `letter_unreadable`, `letter_too_large`, `not_a_letter`. `str()` gives "<path>: <message>".
    """

    code = "letter_error"

    def __init__(self, path, code: str, message: str):
        super().__init__(message, code=code, path=os.fspath(path))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def __reduce__(self):  # keep it picklable for multi-process batches
        return (LetterError, (self.path, self.code, self.message))


# --------------------------------------------------------------------------- the letter skeleton (data)

STRUCTURE_FILE = "letter_structure.yaml"


def _load_structure() -> dict:
    """The letter skeleton vocabulary (rules/vocab/letter_structure.yaml), checked."""
    path = vocab_dir() / STRUCTURE_FILE
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")

    def check(value, where: str) -> None:
        # Every leaf is a string: YAML reads a bare `No` or `On` as a boolean, which would
        # silently become a pattern that never matches.
        if isinstance(value, dict):
            for key, sub in value.items():
                check(sub, f"{where}.{key}")
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                check(sub, f"{where}[{index}]")
        elif not isinstance(value, str):
            raise ValueError(f"{path}: {where}: expected text, got {value!r} (quote it)")

    for key in ("headings", "header_labels", "credential_labels", "credential_phrases", "item_labels",
                "outcomes", "boilerplate", "partial_authorization", "verdict", "abbreviations",
                "guideline"):
        if key not in data:
            raise ValueError(f"{path}: missing `{key}`")
        check(data[key], key)
    return data


STRUCTURE = _load_structure()


# --------------------------------------------------------------------------- characters

_TRANSLATE = str.maketrans({
    "\ufeff": "",      # byte-order mark / zero-width no-break space
    "\u200b": "",      # zero-width space
    "\u00ad": "",      # soft hyphen (invisible unless at a line end; see _SOFT_HYPHEN_EOL)
    "\ufffe": "-",     # PDFium: a hyphen at a line end, the next line already joined
    "\u00a0": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb00": "ff",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\u2026": "...",
    "\x0b": "\n",
    "\u2028": "\n",
    "\u2029": "\n",
})

_SOFT_HYPHEN_EOL = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# The control characters `_CONTROL` removes (all ASCII), as bytes for an ASCII page; a
# non-ASCII page drops them in its `translate` (no character of `_TRANSLATE` becomes one).
_CONTROL_BYTES = bytes(b for b in range(128) if _CONTROL.match(chr(b)))
_TRANSLATE_AND_CONTROL = {**_TRANSLATE, **dict.fromkeys(_CONTROL_BYTES)}
# The same mapping applied by a regex scan: `str.translate` with a dict looks every character
# up in turn, ten times slower on a page where only a few characters change.
_REPLACEMENTS = {chr(code): replacement or "" for code, replacement in _TRANSLATE_AND_CONTROL.items()}
_SPECIAL = re.compile("[" + "".join(re.escape(c) for c in sorted(_REPLACEMENTS)) + "]")


def _replace(match) -> str:
    return _REPLACEMENTS[match.group()]

# --------------------------------------------------------------------------- page furniture

_PAGE_WORD = re.compile(r"(?i)^(?:page|pg\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$")
_BARE_NUMBER = re.compile(r"^(?:-\s*)?(\d{1,3})(?:\s*-)?$")
_ENDS_LIKE_SENTENCE = re.compile(r"[.,;:]$")
_NUMBER_OF = re.compile(r"(?i)^\d{1,4}\s*(?:of|/)\s*\d{1,4}$")
_CASE_LINE = re.compile(r"(?i)\b(?:IMR\s+)?Case\s+(?:Number|No\.?|#)\s*:?\s*([A-Z]{1,4}\d{2}-\d{4,8})\b")
_DIGITS = re.compile(r"\d+")
# Headings and item labels are never page furniture, however often they open a page.
_LABEL_START = re.compile(
    "(?i)^(?:" + "|".join(
        r"\s+".join(re.escape(word) for word in phrase.split())
        for group in ("headings", "item_labels") for phrases in STRUCTURE[group].values() for phrase in phrases)
    + ")")
_BOUNDARY_DEPTH = 2          # lines at the top and bottom of a page that may be furniture
_RUNNING_MAX_LEN = 100       # a running header or footer is short
_PAGE_WORD_HINTS = ("pa", "pg")      # the first two letters of "Page 2", "pg. 2"
_CASE_HINTS = ("case number", "case no", "case #")


def _clean_page(page: str) -> str:
    """One page with line ends, characters and spaces normalised and empty lines dropped.

    Written with string methods where a regular expression would scan every character in
    Python's regex engine: normalising must stay a small part of a letter's budget."""
    if "\r" in page:
        page = page.replace("\r\n", "\n").replace("\r", "\n")
    if not page.isascii():
        if "\u00ad" in page:
            page = _SOFT_HYPHEN_EOL.sub("-", page)
        page = _SPECIAL.sub(_replace, page)
    else:
        if "\x0b" in page:
            page = page.replace("\x0b", "\n")
        # Control characters, found with a bytes translate (`str.isprintable` or a regex
        # looks each character up in turn).
        data = page.encode("ascii")
        kept = data.translate(None, _CONTROL_BYTES)
        if len(kept) != len(data):
            page = kept.decode("ascii")
    if "\t" in page:
        page = page.replace("\t", " ")
    while "  " in page:                  # a run of n spaces is one after about log2(n) passes
        page = page.replace("  ", " ")
    if " \n" in page:
        page = page.replace(" \n", "\n")
    if "\n " in page:
        page = page.replace("\n ", "\n")
    if "\n\n" in page or page[:1] == "\n" or page[-1:] == "\n":      # empty lines
        page = "\n".join(filter(None, page.split("\n")))
    return page.strip(" ")


def _is_page_word(line: str) -> bool:
    """A "Page 2 of 5" line."""
    return bool(line[:2].lower() in _PAGE_WORD_HINTS and _PAGE_WORD.match(line))


def _is_number_furniture(line: str) -> bool:
    return bool(_BARE_NUMBER.match(line) or _NUMBER_OF.match(line) or _PAGE_WORD.match(line))


def _running(pages: list[list[str]], need: int, *, top: bool) -> set[str]:
    counts: dict[str, int] = {}
    for page in pages:
        window = page[:_BOUNDARY_DEPTH] if top else page[-_BOUNDARY_DEPTH:]
        for key in {_DIGITS.sub("#", line) for line in window
                    if len(line) <= _RUNNING_MAX_LEN and not _LABEL_START.match(line)
                    and not _ENDS_LIKE_SENTENCE.search(line)}:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, n in counts.items() if n >= need and ("#" in key or n >= 3 or n == len(pages))}


def _case_lines(full: str, low: str, start: int) -> list[int]:
    """Where `_CASE_LINE.finditer(full, start)` finds its matches, found from the places where
    "case" occurs (every match holds it, after an optional "IMR "): a scan of the whole text
    under IGNORECASE costs some 20 ns a character. `low` is `full.lower()`; when lowering
    changed the length, or the text holds the long s that matches "s" under IGNORECASE, the
    scan is done as it is written."""
    if len(low) != len(full) or "\u017f" in full:
        return [m.start() for m in _CASE_LINE.finditer(full, start)]
    out = []
    end = start
    at = low.find("case", start)
    while at >= 0:
        if at >= end:
            before = at
            while before > end and low[before - 1].isspace():
                before -= 1
            found = None
            if before < at and before - 3 >= end and low[before - 3:before] == "imr":
                found = _CASE_LINE.match(full, before - 3)
            if found is None:
                found = _CASE_LINE.match(full, at)
            if found is not None:
                out.append(found.start())
                end = found.end()
        at = low.find("case", at + 1)
    return out


def _drop_furniture(page_texts: list[str]) -> list[str]:
    """Remove page numbers, repeated case-number lines and running headers/footers; return
    the remaining lines of all pages."""
    page_texts = [page for page in page_texts if page]
    multi = len(page_texts) > 1
    pages = []
    for page in page_texts:
        lines = page.split("\n")
        # "Page 2 of 5" lines go wherever they are. Only "P" lower-cases to "p", so a line
        # whose first character is neither "p" nor "P" is none; most pages have no line that
        # is, and keep their list of lines.
        if any(line and line[0] in "pP" and _is_page_word(line) for line in lines):
            lines = [line for line in lines if not _is_page_word(line)]
        pages.append(lines)

    if multi:
        # Bare numbers at the top or bottom of a page.
        trimmed = []
        for page in pages:
            for _ in range(_BOUNDARY_DEPTH):
                if page and _is_number_furniture(page[0]):
                    page = page[1:]
                if page and _is_number_furniture(page[-1]):
                    page = page[:-1]
            trimmed.append(page)
        pages = trimmed

        # Running headers/footers: the same short line (digits aside) at the top, or at the
        # bottom, of at least half of the pages (two at the least). Such a line does not end
        # a sentence, and it holds a number (page, case, date), recurs on three pages or
        # more, or is on every page.
        need = max(2, (len(pages) + 1) // 2)
        running_top = _running(pages, need, top=True)
        running_bottom = _running(pages, need, top=False)
        if running_top or running_bottom:
            trimmed = []
            for index, page in enumerate(pages):
                for _ in range(_BOUNDARY_DEPTH):
                    if page and _DIGITS.sub("#", page[0]) in running_top and not (
                            index == 0 and _CASE_LINE.search(page[0])):
                        page = page[1:]
                    if page and _DIGITS.sub("#", page[-1]) in running_bottom:
                        page = page[:-1]
                trimmed.append(page)
            pages = trimmed

    lines = list(chain.from_iterable(pages))
    full = "\n".join(lines)

    # A line naming the case number again after the header is a running header.
    low = full.lower()
    first = _CASE_LINE.search(full) if any(hint in low for hint in _CASE_HINTS) else None
    if first is not None:
        case_id = first.group(1)
        first_line = full.count("\n", 0, first.start())
        drop = set()
        pos = full.find(case_id, first.end())
        while pos >= 0:
            index = full.count("\n", 0, pos)
            if index != first_line and len(lines[index]) <= _RUNNING_MAX_LEN:
                drop.add(index)
            pos = full.find(case_id, pos + len(case_id))
        for start in _case_lines(full, low, first.end()):
            index = full.count("\n", 0, start)
            if index != first_line and len(lines[index]) <= _RUNNING_MAX_LEN:
                drop.add(index)
        if drop:
            lines = [line for index, line in enumerate(lines) if index not in drop]
            full = "\n".join(lines)

    # Bare numbers that count up one by one through the letter are page numbers. A bare
    # number is a line of at most 9 characters: most letters have none, which `min` tells
    # without a Python step per line.
    numbered = [(i, int(m.group(1))) for i, line in enumerate(lines)
                if len(line) <= 9 and (line[:1].isdigit() or line[:1] == "-") and (m := _BARE_NUMBER.match(line))
                ] if lines and min(map(len, lines)) <= 9 else []
    if numbered:
        if len(numbered) >= 2 and numbered[0][1] in (1, 2) and all(
                b[1] == a[1] + 1 for a, b in zip(numbered, numbered[1:])):
            drop = {i for i, _ in numbered}
            lines = [line for i, line in enumerate(lines) if i not in drop]
    return lines


def normalise_pages(pages: list[str]) -> str:
    """Normalise a letter given as the text of its pages (see the module docstring)."""
    lines = _drop_furniture([_clean_page(page) for page in pages])
    if not lines:
        return ""
    text = "\n".join(lines)
    if "-\n" in text:
        # A hyphen after a letter or digit at a line end joins the next line to it.
        parts = text.split("-\n")
        out = [parts[0]]
        for part in parts[1:]:
            previous = out[-1]
            out.append("-" if previous[-1:].isascii() and previous[-1:].isalnum() else "-\n")
            out.append(part)
        text = "".join(out)
    return text + "\n"


def normalise_text(text: str) -> str:
    """Normalise a letter's text; form feeds mark page breaks."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return normalise_pages(text.split("\f"))


# --------------------------------------------------------------------------- files

# Size limits: an IMR letter is a few pages (the 75 development letters: 2-10 pages, 21-96 KB of
# PDF, 3,000-27,000 characters of text). Anything far beyond is not a letter, and reading it
# could take minutes and a lot of memory: it is refused with `letter_too_large`
# (docs/audit.md, "Letters that cannot be read").
MAX_LETTER_BYTES = 20 * 1024 * 1024     # the file
MAX_PDF_PAGES = 200                     # pages of a PDF
MAX_LETTER_CHARS = 2_000_000            # characters of text

_PDF_MAGIC = b"%PDF-"
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _NOT_CONTROL))     # the bytes left are control bytes
    return control > max(8, len(sample) // 20)


def pdf_pages(data: bytes, path: str = "<pdf>") -> list[str]:
    """The text of each page of a PDF, through pypdfium2."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise LetterError(path, "letter_unreadable", f"not a readable PDF ({err})") from None
    pages = []
    try:
        count = len(document)
        if count > MAX_PDF_PAGES:
            raise LetterError(path, "letter_too_large", f"{count} pages: more than the {MAX_PDF_PAGES} a letter may have")
        for index in range(count):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
    except pdfium.PdfiumError as err:
        raise LetterError(path, "letter_unreadable", f"PDF page text could not be read ({err})") from None
    finally:
        document.close()
    return pages


def read_pages(path) -> list[str]:
    """The raw text of a letter file, page by page (a text file is split at form feeds)."""
    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
        if size > MAX_LETTER_BYTES:
            raise LetterError(name, "letter_too_large",
                              f"{size:,} bytes: larger than the {MAX_LETTER_BYTES:,} a letter may have")
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise LetterError(name, "letter_not_found", "no such file") from None
    except IsADirectoryError:
        raise LetterError(name, "letter_not_found", "is a folder, not a letter file") from None
    except OSError as err:
        raise LetterError(name, "letter_unreadable", f"cannot be read ({err.strerror or err})") from None
    if not data.strip():
        raise LetterError(name, "letter_empty", "the file is empty")
    if data.startswith(_PDF_MAGIC) or (name.lower().endswith(".pdf") and _PDF_MAGIC in data[:1024]):
        pages = pdf_pages(data, name)
        if not any(page.strip() for page in pages):
            raise LetterError(name, "letter_empty", "the PDF has no text layer (a scanned image?)")
        return pages
    if name.lower().endswith(".pdf"):
        raise LetterError(name, "letter_unreadable", "named .pdf but is not a PDF file")
    if _looks_binary(data):
        raise LetterError(name, "letter_binary", "a binary file, not a letter")
    text = _decode(data)
    return text.split("\f")


def read_letter(path) -> str:
    """The normalised text of a letter file (.txt or .pdf); evidence offsets refer to it."""
    pages = read_pages(path)
    size = sum(map(len, pages))
    if size > MAX_LETTER_CHARS:
        raise LetterError(os.fspath(path), "letter_too_large",
                          f"{size:,} characters of text: more than the {MAX_LETTER_CHARS:,} a letter may have")
    text = normalise_pages(pages)
    if not text.strip():
        raise LetterError(os.fspath(path), "letter_empty", "the file holds no text")
    return text
