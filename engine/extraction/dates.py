"""Dates and numbers as letters write them ("11/07/2016", "October 2016", "twelve")."""
from __future__ import annotations

import datetime as _dt
import re


MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


DATE_RE = re.compile(
    r"(?<![\w/.-])(?:(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4}|\d{2})(?![\w/-])"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\w-])"
    r"|(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>\d{4}))",
    re.I)


MONTH_YEAR_RE = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:of\s+)?((?:19|20)\d\d)(?![\w/-])")


YEAR_RE = re.compile(r"(?<![\w/.-])(19[5-9]\d|20[0-4]\d)(?![\w/-])")


NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}


def date_from(m: re.Match[str]) -> str | None:
    try:
        if m.group("m"):
            year = int(m.group("y"))
            if year < 100:
                year += 2000 if year <= 40 else 1900
            value = _dt.date(year, int(m.group("m")), int(m.group("d")))
        elif m.group("iy"):
            value = _dt.date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        else:
            value = _dt.date(int(m.group("my")), MONTHS[m.group("mon").lower()[:3]], int(m.group("md")))
    except ValueError:
        return None
    if not 1950 <= value.year <= 2050:
        return None
    return value.isoformat()


def parse_number(token: str) -> float | None:
    token = token.lower().lstrip("#")
    if token in NUMBER_WORDS:
        return NUMBER_WORDS[token]
    try:
        return float(token)
    except ValueError:
        return None


def weeks_between(since: str, ref_date: str | None) -> float | None:
    if not ref_date:
        return None
    days = (_dt.date.fromisoformat(ref_date) - _dt.date.fromisoformat(since)).days
    if days < 0:
        return None
    return round(days / 7, 1)
