"""Fast phrase matching: compiled phrase lists that skip a text holding none of their words.

`Gate` is a compiled phrase list with the words one of which any match contains and the words a
match can start with; `TriggerIndex` tells which of many phrases may match a sentence from its
words; `Positions` finds where whole words start in a text, once per text.
"""
from __future__ import annotations

import re

from .phrases import Phrase, alternation_source, compile_phrase


class Positions:
    """Where whole words start in a text, found on demand with str.find and kept."""

    __slots__ = ("text", "seen")

    def __init__(self, text: str):
        self.text = text
        self.seen: dict[str, list[int]] = {}

    def of(self, word: str) -> list[int]:
        found = self.seen.get(word)
        if found is None:
            text = self.text
            n = len(text)
            size = len(word)
            found = []
            i = text.find(word)
            while i >= 0:
                if (i == 0 or not text[i - 1].isalnum()) and (i + size >= n or not text[i + size].isalnum()):
                    found.append(i)
                i = text.find(word, i + size)
            self.seen[word] = found
        return found


_POSITIONS: dict[str, Positions] = {}


_POSITIONS_MAX = 256


def clear_positions() -> None:
    """Forget the word positions kept so far (a new letter starts)."""
    _POSITIONS.clear()


def word_positions(text: str) -> Positions:
    """The word positions of `text`, shared by the gates that read the same text (a sentence is
    read by a dozen of them). The cache holds one letter's texts: `extract_facts` and
    `extract_item_facts` empty it when they start, and it is emptied if it grows too big."""
    index = _POSITIONS.get(text)
    if index is None:
        if len(_POSITIONS) >= _POSITIONS_MAX:
            _POSITIONS.clear()
        index = _POSITIONS[text] = Positions(text)
    return index


class Gate:
    """A compiled phrase list, the words one of which any match contains (`words`), and the
    words a match can start with (`first`). Given the sentence's word set, `search` and
    `finditer` skip the expression when no trigger word occurs, and otherwise try it only at the
    places where a first word stands (`match` at a position) instead of scanning every
    character: an alternation of many phrases costs a scan per character, a match per word."""

    __slots__ = ("regex", "words", "prefixes", "always", "first", "first_prefixes", "scan")

    def __init__(self, regex: re.Pattern[str], phrases: list[Phrase]):
        self.regex = regex
        # phrases that may start with a number or a punctuation mark are searched for apart
        scanned = [ph for ph in phrases if ph.first is None]
        words: set[str] = set()
        prefixes: set[str] = set()
        first: set[str] = set()
        first_prefixes: set[str] = set()
        always = False
        for ph in phrases:
            if ph.triggers is None:
                always = True
            else:
                for word in ph.triggers:
                    (prefixes.add(word[:-1]) if word.endswith("*") else words.add(word))
            if ph.first is not None:
                for word in ph.first:
                    (first_prefixes.add(word[:-1]) if word.endswith("*") else first.add(word))
        self.words = frozenset(words)
        self.prefixes = tuple(sorted(prefixes))
        self.always = always
        self.first = frozenset(first)
        self.first_prefixes = tuple(sorted(first_prefixes))
        self.scan = re.compile(alternation_source([ph.regex for ph in scanned])) if scanned else None
        if scanned and len(scanned) == len(phrases):
            self.first = None

    def could(self, words: set[str] | None, text: str) -> bool:
        if words is None or self.always or not self.words.isdisjoint(words):
            return True
        for prefix in self.prefixes:
            if prefix in text:
                return True
        return False

    def _starts(self, text: str, words: set[str], index: "Positions | None") -> list[int]:
        if index is None:
            index = word_positions(text)
        present = self.first.intersection(words)
        if not self.first_prefixes and len(present) == 1:
            for word in present:
                return index.of(word)            # sorted already
        starts: set[int] = set()
        for word in present:
            starts.update(index.of(word))
        for prefix in self.first_prefixes:
            i = text.find(prefix)
            while i >= 0:
                if i == 0 or not text[i - 1].isalnum():
                    starts.add(i)
                i = text.find(prefix, i + 1)
        return sorted(starts)

    def search(self, text: str, pos: int = 0, words: set[str] | None = None,
               index: Positions | None = None):
        if words is None:
            return self.regex.search(text, pos)
        if not self.always and self.words.isdisjoint(words):     # `could`, inline: the common exit
            for prefix in self.prefixes:
                if prefix in text:
                    break
            else:
                return None
        if self.first is None:
            return self.regex.search(text, pos)
        best = self.scan.search(text, pos) if self.scan is not None else None
        for start in self._starts(text, words, index):
            if best is not None and start >= best.start():
                break
            if start >= pos:
                m = self.regex.match(text, start)
                if m:
                    return m
        return best

    def finditer(self, text: str, pos: int = 0, words: set[str] | None = None,
                 index: Positions | None = None):
        if words is None:
            return self.regex.finditer(text, pos)
        if not self.always and self.words.isdisjoint(words):     # `could`, inline
            for prefix in self.prefixes:
                if prefix in text:
                    break
            else:
                return iter(())
        if self.first is None:
            return self.regex.finditer(text, pos)
        found = []
        last = pos
        for start in self._starts(text, words, index):
            if start >= last:
                m = self.regex.match(text, start)
                if m:
                    found.append(m)
                    last = max(m.end(), start + 1)
        if self.scan is not None:
            found.extend(self.scan.finditer(text, pos))
            found.sort(key=lambda m: m.start())
        return iter(found)


def group_regex(groups: dict[str, list[str]]) -> Gate:
    """One pattern with a named group per label; longest phrases first inside a group."""
    parts = []
    every: list[Phrase] = []
    for label, phrases in groups.items():
        compiled = sorted((compile_phrase(p) for p in phrases), key=lambda ph: -len(ph.text))
        every.extend(compiled)
        if compiled:
            parts.append(f"(?P<{label}>" + alternation_source([ph.regex for ph in compiled]) + ")")
    return Gate(re.compile("|".join(parts) if parts else r"(?!x)x"), every)


def alternation(phrases: list[str]) -> Gate:
    compiled = sorted((compile_phrase(p) for p in phrases), key=lambda ph: -len(ph.text))
    return Gate(re.compile(alternation_source([ph.regex for ph in compiled]) if compiled else r"(?!x)x"),
                 compiled)


class TriggerIndex:
    """Which of a list of phrases (or gates) may match a sentence, from their trigger words: a
    set intersection with the sentence's words instead of a test per phrase. `candidates`
    gives, in list order, the indexes of those that may match; the others cannot."""

    __slots__ = ("by_word", "words", "by_prefix", "always")

    def __init__(self, triggers: list[frozenset[str] | None]):
        by_word: dict[str, list[int]] = {}
        by_prefix: dict[str, list[int]] = {}           # `word*` triggers: prefix -> indexes
        self.always: list[int] = []                    # no usable trigger: always a candidate
        for index, words in enumerate(triggers):
            if words is None:
                self.always.append(index)
                continue
            for word in sorted(words):
                if word.endswith("*"):
                    by_prefix.setdefault(word[:-1], []).append(index)
                else:
                    by_word.setdefault(word, []).append(index)
        self.by_word = by_word
        self.words = frozenset(by_word)
        # each prefix is looked for once, however many phrases share it
        self.by_prefix: list[tuple[str, list[int]]] = sorted(by_prefix.items())

    def prefixes_in(self, text: str) -> list[tuple[str, list[int]]]:
        """The prefix triggers found in `text`, each with the indexes it allows."""
        return [entry for entry in self.by_prefix if entry[0] in text]

    def candidates(self, words: set[str], text: str, prefixes: list[tuple[str, list[int]]] | None = None) -> list[int]:
        """`prefixes`: the prefix triggers to look for (default: all), e.g. those of the segment."""
        found: set[int] = set(self.always)
        by_word = self.by_word
        for word in self.words.intersection(words):
            found.update(by_word[word])
        for prefix, indexes in (self.by_prefix if prefixes is None else prefixes):
            if prefix in text:
                found.update(indexes)
        return sorted(found)


class PhraseIndex:
    """Which of a list of phrases may match a sentence: those of which every required word set
    (`Phrase.required`) has a word in the sentence (`w*`: a word starting w, looked for in the
    text). Most phrases are tested at once: bit i of an integer stands for phrase i, and the
    phrase's trigger set and up to two other required sets are levels, with a mask per word; a
    sentence's candidates are the AND over the levels of the OR of its words' masks. The other
    required sets of a candidate (those with a `w*` word, whose prefix would be looked for in
    every sentence, and any beyond the levels) are then tested one by one. `candidates` gives
    the phrases' indexes in list order.

    `restricted(indexes)` is the index of some of the phrases only (a reading of a few
    concepts): its masks are as short as its list, so that testing a sentence costs what those
    phrases need. Restricted indexes are kept (a reading asks for the same sets again)."""

    LEVELS = 3
    _KEPT = 256                   # restricted indexes kept at most

    __slots__ = ("phrases", "ids", "by_word", "by_prefix", "free", "rest", "words", "_restricted")

    def __init__(self, phrases: list[Phrase], ids: tuple[int, ...] | None = None):
        self.phrases = phrases
        self.ids = ids                                 # bit i -> the index it stands for (None: i)
        self._restricted: dict[tuple[int, ...], PhraseIndex] = {}
        levels = self.LEVELS
        by_word: dict[str, list[int]] = {}            # word -> its mask at each level
        by_prefix: dict[str, list[int]] = {}          # `w*` prefix -> its mask at each level
        free = [0] * levels                            # phrases with no required set at a level
        self.rest: dict[int, tuple[tuple[frozenset[str], tuple[str, ...]], ...]] = {}
        for bit_index, index in enumerate(range(len(phrases)) if ids is None else ids):
            phrase = phrases[index]
            bit = 1 << bit_index
            others = [s for s in phrase.required if s != phrase.triggers]
            plain = [s for s in others if not any(word.endswith("*") for word in s)]
            sets = ([phrase.triggers] if phrase.triggers is not None else []) + plain[:levels - 1]
            rest = [s for s in others if s not in sets]
            for level in range(levels):
                if level >= len(sets):
                    free[level] |= bit
                    continue
                for word in sets[level]:
                    table, key = (by_prefix, word[:-1]) if word.endswith("*") else (by_word, word)
                    table.setdefault(key, [0] * levels)[level] |= bit
            if rest:
                self.rest[bit_index] = tuple((options, tuple(o[:-1] for o in options if o.endswith("*")))
                                             for options in rest)
        self.by_word = by_word
        self.words = frozenset(by_word)
        self.by_prefix = sorted(by_prefix.items())
        self.free = free

    def restricted(self, indexes: tuple[int, ...]) -> "PhraseIndex":
        """The index of the phrases `indexes` (ascending) only; `candidates` gives their indexes."""
        found = self._restricted.get(indexes)
        if found is None:
            if len(self._restricted) >= self._KEPT:
                self._restricted.clear()
            found = self._restricted[indexes] = PhraseIndex(self.phrases, indexes)
        return found

    def prefixes_in(self, text: str) -> list[tuple[str, list[int]]]:
        """The prefix triggers found in `text` (to hand to `candidates` for its sentences)."""
        return [entry for entry in self.by_prefix if entry[0] in text]

    def candidates(self, words: set[str], text: str, prefixes: list | None = None) -> list[int]:
        """The phrases whose required sets all have a word in `words` (or a prefix in `text`).
        `prefixes`: the prefix triggers to look for (default: all), e.g. those of the segment."""
        held = list(self.free)
        by_word = self.by_word
        for word in self.words.intersection(words):
            masks = by_word[word]
            held[0] |= masks[0]
            held[1] |= masks[1]
            held[2] |= masks[2]
        for prefix, masks in (self.by_prefix if prefixes is None else prefixes):
            if prefix in text:
                held[0] |= masks[0]
                held[1] |= masks[1]
                held[2] |= masks[2]
        found = held[0] & held[1] & held[2]         # the LEVELS levels
        ids = self.ids
        out = []
        while found:
            low = found & -found
            bit = low.bit_length() - 1
            found ^= low
            rest = self.rest.get(bit)
            if rest is None or _holds_all(rest, words, text):
                out.append(bit if ids is None else ids[bit])
        return out


def _holds_all(required, words: set[str], text: str) -> bool:
    """Whether `words` hold a word of every required set (each paired with its `w*` prefixes,
    looked for in `text`)."""
    for options, prefixes in required:
        if options.isdisjoint(words):
            for prefix in prefixes:
                if prefix in text:
                    break
            else:
                return False
    return True


def gate_triggers(gate: Gate) -> frozenset[str] | None:
    """A gate's trigger words in `TriggerIndex` form (None: it may match any text)."""
    if gate.always:
        return None
    return gate.words | frozenset(prefix + "*" for prefix in gate.prefixes)
