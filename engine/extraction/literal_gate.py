"""A regular expression that is not run on text that cannot hold a match.

Stage: extraction (support). Most patterns of the request parser look for something an item
line seldom holds ("refills", "day supply", "cream"), and Python's regex engine spends most of
its time on the places where such a pattern fails. `Gated(regex)` reads, once, the literal text
that every match of `regex` must contain (one of a few strings: "refill"; "day" or "daily") and
answers "no match" at once when the text holds none of them; otherwise the regex runs as usual.
The answers are always those of the regex itself:

- the strings are read off the parsed pattern: runs of literal characters in the part every
  match goes through (not inside an optional group or a repeat that may run zero times; for an
  alternation, one string per branch);
- both sides are compared lower-cased, so case-insensitive patterns are covered;
- the test is made only for ASCII text with ASCII strings (under IGNORECASE a few non-ASCII
  characters match ASCII ones: the Kelvin sign matches "k"); other text goes to the regex.

When the pattern names no such string (it may start anywhere with a digit, say), `Gated` is
the plain regex. The parse uses the standard library's regex parser (`re._parser`); if it is
missing, every pattern runs ungated.
"""
from __future__ import annotations

import re

try:  # the parser the re module compiles with; private, so its absence only costs speed
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - present in CPython 3.11 to 3.13
    _sre = _sre_parse = None

__all__ = ["Gated", "required_literals"]


def required_literals(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of `regex` contains, or None."""
    if _sre_parse is None:
        return None
    try:
        tree = _sre_parse.parse(regex.pattern, regex.flags)
    except Exception:  # pragma: no cover - the pattern compiled, so it parses
        return None
    found = _sequence(list(tree))
    return tuple(sorted(found)) if found else None


def _better(options: set[str] | None, best: set[str] | None) -> set[str] | None:
    """The stronger of two requirements: the longer shortest string, then fewer strings."""
    if not options or not all(options):
        return best
    if best is None:
        return options
    key = (min(map(len, options)), -len(options))
    return options if key > (min(map(len, best)), -len(best)) else best


def _sequence(items: list) -> set[str] | None:
    """A requirement of a sequence of parsed items: the best one any item of it imposes."""
    best: set[str] | None = None
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL and av < 128:
            run.append(chr(av).lower())
            continue
        if run:
            best = _better({"".join(run)}, best)
            run = []
        if op is _sre.SUBPATTERN:
            best = _better(_sequence(list(av[3])), best)
        elif op is _sre.ATOMIC_GROUP:
            best = _better(_sequence(list(av)), best)
        elif op is _sre.BRANCH:
            branches = [_sequence(list(branch)) for branch in av[1]]
            if all(branches):
                best = _better(set().union(*branches), best)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            low, _high, body = av
            if low >= 1:
                best = _better(_sequence(list(body)), best)
        # anything else (a class, a non-ASCII literal, an assertion, a back-reference)
        # consumes no known literal and ends the run
    if run:
        best = _better({"".join(run)}, best)
    return best


# The request parser runs some sixty patterns over the same item text: lower-case it once.
_lowered: list[str] = ["", ""]


class Gated:
    """`regex`, skipped on text that holds none of its required strings (see the module
    docstring). Has the methods of `re.Pattern` that the extractors use."""

    __slots__ = ("regex", "needs", "pattern", "groupindex")

    def __init__(self, regex: re.Pattern[str]):
        self.regex = regex
        self.needs = required_literals(regex)
        self.pattern = regex.pattern
        self.groupindex = regex.groupindex

    def cannot_match(self, text: str) -> bool:
        """True when no match can exist in `text` (False means: run the regex to know)."""
        needs = self.needs
        if needs is None or not text.isascii():
            return False
        if text is not _lowered[0]:
            _lowered[0], _lowered[1] = text, text.lower()
        low = _lowered[1]
        for need in needs:
            if need in low:
                return False
        return True

    def search(self, text: str, *args):
        return None if self.cannot_match(text) else self.regex.search(text, *args)

    def match(self, text: str, *args):
        return None if self.cannot_match(text) else self.regex.match(text, *args)

    def fullmatch(self, text: str, *args):
        return None if self.cannot_match(text) else self.regex.fullmatch(text, *args)

    def finditer(self, text: str, *args):
        return iter(()) if self.cannot_match(text) else self.regex.finditer(text, *args)

    def findall(self, text: str, *args):
        return [] if self.cannot_match(text) else self.regex.findall(text, *args)

    def sub(self, repl, text: str, count: int = 0):
        return text if self.cannot_match(text) else self.regex.sub(repl, text, count)

    def __repr__(self) -> str:
        return f"Gated({self.regex!r}, needs={self.needs!r})"
