"""Phrase patterns: the small language the extraction vocabularies are written in.

Stage: extraction (support). Input: phrase strings from `rules/vocab/*.yaml`. Output: compiled
regular expressions that match lower-cased letter text, plus the *trigger words* of each phrase
(words every match must contain), used to skip sentences cheaply. Raises `PhraseError` for a
phrase that cannot be read.

The language (documented for rule writers in docs/findings.md):

- words are matched case-insensitively, whole words only (`spasm` does not match `spasms`);
- a space matches any run of white space, commas or hyphens (`first line` matches `first-line`);
- a hyphen inside a word may be present or not (`non-opioid` matches `nonopioid`, `non opioid`);
- `word*` matches the word and any continuation (`spasm*` matches `spasms`, `Spurling*` matches
  `Spurling's`);
- `(a|b c|d)` is a choice of sub-phrases; `(...)?` makes the group optional;
- `...` is a gap of up to 4 words, `...{n}` a gap of up to n words (never across `;`);
- `<num>` is a number: digits, `#12`, or a number word from one to twenty;
- `<level>` is a spinal level or a span of levels (`C6`, `L4-5`, `L5-S1`);
- `<grade>` is a strength grade below normal (`4/5`, `4+/5`, `5-/5`; not `5/5`);
- `<drug>` is a drug name of the lexicon: the reader matches a phrase holding it against the
  sentence with every drug name the lexicon finds masked by `DRUG_MARK` characters (same
  length, so offsets hold), and `<drug>` matches a masked run (`Phrase.drug_groups` > 0).

Matching is done on lower-cased text, so compiled patterns carry no IGNORECASE flag (measured:
IGNORECASE alternations are several times slower on letter-sized text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PhraseError", "Phrase", "compile_phrase", "compile_alternation", "alternation_source", "tokens"]

NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen twenty").split()
NUM_RE = r"(?:#?\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
# What a space in a phrase matches; what a hyphen inside a word matches. \ufffe and \u00ad come
# from PDF text where a hyphenated word was split over two lines.
SEP = r"[\s,\-\u2010\u2011\u2013\u00ad\ufffe]+"
HYPHEN = r"[\s\-\u2010\u2011\u2013\u00ad\ufffe]*"
WORD_RE = re.compile(r"[a-z0-9]+")
LEFT = r"(?<![\w])"          # the left word boundary a phrase starting with a word opens with
_GAP_WORD = r"[^\s;]+"
# Words too frequent in letters to be good triggers: a phrase element made only of them is
# chosen as the trigger only when the phrase has no better one.
COMMON_WORDS = frozenset("""a an the of to in on for with and or is are was were be been being has have
had do does did no not nor this that these those it its as at by from his her he she they there any all
patient patients pain which who would should may can will than then into""".split())
_DEFAULT_GAP = 4


class PhraseError(ValueError):
    """A phrase in a vocabulary file that the phrase language cannot read."""


@dataclass(frozen=True)
class Phrase:
    text: str                      # as written in the vocabulary
    regex: str                     # regular expression source (no flags; matches lower-case text)
    triggers: frozenset[str] | None  # a match contains one of these words (`w*`: a word starting
                                     # with w); None = no usable trigger, always try the phrase
    required: tuple[frozenset[str], ...] = ()  # a match holds a word of each of these sets
    first: frozenset[str] | None = None  # a match starts with one of these words (`w*`: a word
                                     # starting with w); None = it may start otherwise (a number,
                                     # a comma), so the phrase must be searched for
    literals: frozenset[str] = frozenset()  # every word written in the phrase (`w*` as `w`): a
                                     # negation word among them is the phrase's own, not a cue
    drug_groups: int = 0             # how many `<drug>` the phrase holds


def tokens(lower_text: str) -> set[str]:
    """The set of alphanumeric words of a lower-cased text (what triggers are checked against)."""
    return set(WORD_RE.findall(lower_text))


# --- parsing -------------------------------------------------------------------------------------
# AST: ("seq", [items]) | ("alt", [seq...], optional) | ("word", text, wildcard) | ("gap", n) | ("num",)

_TOKEN = re.compile(r"\s+|\(|\)\??|\||\.\.\.(?:\{\d+\})?|<(?:num|level|grade|drug)>|[^\s()|]+")
LEVEL_RE = r"(?:[ctls][1-8](?:\s*[-/]\s*[ctls]?[1-8])?)"
GRADE_RE = r"(?:[0-4][+-]?\s*/\s*5|5-\s*/\s*5)"   # a weak grade: 4/5, 4+/5, 3/5, 5-/5 (not 5/5)
DRUG_MARK = "\u00a7"
DRUG_WORD_RE = DRUG_MARK + "+"


def _lex(text: str) -> list[str]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:  # pragma: no cover - the token pattern accepts every character
            raise PhraseError(f"cannot read phrase {text!r} at {pos}")
        tok = m.group(0)
        if not tok.isspace():
            out.append(tok)
        pos = m.end()
    return out


def _parse(text: str):
    toks = _lex(text.lower())
    pos = 0

    def seq(stop: tuple[str, ...]):
        nonlocal pos
        items = []
        while pos < len(toks) and toks[pos] not in stop and not toks[pos].startswith(")"):
            tok = toks[pos]
            if tok == "(":
                pos += 1
                alts = [seq(("|",))]
                while pos < len(toks) and toks[pos] == "|":
                    pos += 1
                    alts.append(seq(("|",)))
                if pos >= len(toks) or not toks[pos].startswith(")"):
                    raise PhraseError(f"unclosed '(' in phrase {text!r}")
                optional = toks[pos] == ")?"
                pos += 1
                items.append(("alt", alts, optional))
            elif tok.startswith("..."):
                n = int(tok[4:-1]) if "{" in tok else _DEFAULT_GAP
                items.append(("gap", n))
                pos += 1
            elif tok == "<num>":
                items.append(("num",))
                pos += 1
            elif tok in ("<level>", "<grade>", "<drug>"):
                items.append((tok[1:-1],))
                pos += 1
            elif tok == "|":
                raise PhraseError(f"'|' outside a group in phrase {text!r}")
            else:
                wildcard = tok.endswith("*") and len(tok) > 1
                items.append(("word", tok[:-1] if wildcard else tok, wildcard))
                pos += 1
        return ("seq", items)

    tree = seq(())
    if pos != len(toks):
        raise PhraseError(f"unbalanced ')' in phrase {text!r}")
    if not tree[1]:
        raise PhraseError(f"empty phrase {text!r}")
    return tree


# --- compiling -----------------------------------------------------------------------------------

def _word_regex(word: str, wildcard: bool) -> str:
    parts = []
    for ch in word:
        if ch == "-":
            parts.append(HYPHEN)
        elif ch in "'\u2019":
            parts.append("['\u2019]")
        else:
            parts.append(re.escape(ch))
    out = "".join(parts)
    return out + r"[\w'\u2019]*" if wildcard else out


def _seq_regex(node, macros: dict) -> str:
    """A sequence: elements joined by separators; gaps and optional groups bring their own."""
    out = ""
    first = True
    for item in node[1]:
        kind = item[0]
        if kind == "gap":
            out += r"(?:" + SEP + _GAP_WORD + r"){0," + str(item[1]) + r"}?"
            continue
        if kind == "alt" and item[2]:
            # an optional group carries one separator so that skipping it leaves exactly one
            if first:
                out += "(?:" + _alt_regex(item, True, macros) + SEP + ")?"
            else:
                out += "(?:" + SEP + _alt_regex(item, True, macros) + ")?"
            continue
        if not first:
            out += SEP
        first = False
        if kind == "word":
            out += _word_regex(item[1], item[2])
        elif kind == "num":
            out += NUM_RE
        elif kind == "level":
            out += LEVEL_RE
        elif kind == "grade":
            out += GRADE_RE
        elif kind == "drug":
            number = macros.setdefault("_drugs", 0)
            macros["_drugs"] = number + 1
            out += DRUG_WORD_RE
        else:
            out += _alt_regex(item, False, macros)
    return out


def _alt_regex(node, bare: bool, macros: dict) -> str:
    body = "(?:" + "|".join(_seq_regex(alt, macros) for alt in node[1]) + ")"
    if node[2] and not bare:
        return body + "?"
    return body


def _triggers(node) -> frozenset[str] | None:
    """Words one of which every match contains (None if no such set can be named)."""
    kind = node[0]
    if kind == "word":
        parts = WORD_RE.findall(node[1])
        if not parts:
            return None
        if node[2]:
            # `spasm*`: checked as a substring of the sentence (a cheap superset test). Every
            # part of `o'brien*` or `x-ray*` is in a match, so the longest is the test: "o" and
            # "x" are in almost every sentence, "brien" and "ray" are not.
            return frozenset({max(parts, key=len) + "*"})
        if "-" in node[1]:
            # `non-opioid` may be written `nonopioid` or `non opioid`: the first part or the joined form
            return frozenset({parts[0], "".join(parts)})
        if len(parts) > 1:
            return frozenset({max(parts, key=len)})
        return frozenset(parts)
    if kind == "alt":
        if node[2]:
            return None
        out: set[str] = set()
        for alt in node[1]:
            sub = _triggers(alt)
            if sub is None:
                return None
            out |= sub
        return frozenset(out)
    if kind == "seq":
        best = None
        for item in node[1]:
            sub = _triggers(item)
            if sub is None:
                continue
            # prefer rare words over common ones, whole words over prefixes, then the fewest
            # alternatives, then the longest words
            key = (any(w in COMMON_WORDS for w in sub), any(w.endswith("*") for w in sub), len(sub),
                   -min(len(w) for w in sub))
            if best is None or key < best[0]:
                best = (key, sub)
        return best[1] if best else None
    return None


def _first(node) -> frozenset[str] | None:
    """Words (`w*`: prefixes) a match of `node` can start with; None if not enumerable.
    The empty set means the node can match nothing at its start (an optional element)."""
    kind = node[0]
    if kind == "word":
        parts = WORD_RE.findall(node[1])
        if not parts or not node[1][0].isalnum():
            return None
        if node[2] and len(parts) == 1:
            return frozenset({parts[0] + "*"})
        if "-" in node[1] and len(parts) > 1:
            return frozenset({parts[0], "".join(parts) + ("*" if node[2] else "")})
        return frozenset({parts[0]})
    if kind in ("num", "gap", "level", "grade", "drug"):
        return None
    if kind == "alt":
        out: set[str] = set()
        for alt in node[1]:
            sub = _first(alt)
            if sub is None:
                return None
            out |= sub
        return frozenset(out)
    # a sequence: the first element, and past it while the elements are optional
    out = set()
    for item in node[1]:
        sub = _first(item)
        if sub is None:
            return None
        out |= sub
        if not (item[0] == "alt" and item[2]):
            return frozenset(out)
    return None   # every element optional: cannot say


def _required(tree) -> tuple[frozenset[str], ...]:
    """The trigger sets of every required element of the top-level sequence."""
    out = []
    for item in tree[1]:
        if item[0] == "word" or (item[0] == "alt" and not item[2]):
            sub = _triggers(item)
            if sub:
                out.append(sub)
    return tuple(out)


def _literals(node) -> set[str]:
    kind = node[0]
    if kind == "word":
        return set(WORD_RE.findall(node[1]))
    if kind == "alt":
        return set().union(*(_literals(alt) for alt in node[1]))
    if kind == "seq":
        return set().union(*(_literals(item) for item in node[1])) if node[1] else set()
    return set()


def compile_phrase(text: str) -> Phrase:
    """Compile one phrase of the vocabulary language (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise PhraseError(f"a phrase must be a non-empty string, got {text!r}")
    tree = _parse(text)
    state: dict = {}
    body = _seq_regex(tree, state)
    last = tree[1][-1]
    right = "" if (last[0] == "word" and last[2]) else r"(?![\w])"
    head = text.lstrip()[:1]
    left = LEFT if (head.isalnum() or head in "(<") else ""
    regex = left + body + right
    try:
        re.compile(regex)
    except re.error as err:  # pragma: no cover - the compiler escapes every literal
        raise PhraseError(f"phrase {text!r} compiles to a bad pattern: {err}") from None
    return Phrase(text=text, regex=regex, triggers=_triggers(tree), required=_required(tree),
                  first=_first(tree), literals=frozenset(_literals(tree)), drug_groups=state.get("_drugs", 0))


def alternation_source(regexes: list[str]) -> str:
    r"""The source of one pattern matching any of the phrase `regexes`, tried in order. Each run
    of phrases that open with the left word boundary shares one: `(?<![\w])(?:a|b)` rather than
    `(?<![\w])a|(?<![\w])b`. The two match the same, but in the first each alternative starts
    with its first letter, which the regex engine checks before trying the alternative; an
    alternative that starts with an assertion must be entered at every position tried."""
    parts: list[str] = []
    run: list[str] = []
    for regex in regexes:
        if regex.startswith(LEFT):
            run.append(regex[len(LEFT):])
            continue
        if run:
            parts.append(LEFT + "(?:" + "|".join(run) + ")")
            run = []
        parts.append("(?:" + regex + ")")
    if run:
        parts.append(LEFT + "(?:" + "|".join(run) + ")")
    return "|".join(parts)


def compile_alternation(phrases: list[Phrase]) -> re.Pattern[str]:
    """One pattern matching any of `phrases` (longest alternatives first)."""
    ordered = sorted(phrases, key=lambda p: -len(p.text))
    return re.compile(alternation_source([p.regex for p in ordered]))
