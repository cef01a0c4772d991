"""Positions in source files and the rendering of a source line with a caret.

Lines and columns are 1-based everywhere in this package. PyYAML marks are 0-based and
lark's are 1-based: the conversion happens here and nowhere else.
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, with the file's display path."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def display_path(path: str | os.PathLike) -> str:
    """The path as a user should see it: relative to the working directory when inside it."""
    text = os.fspath(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        return text
    return text if rel.startswith("..") else rel


class SourceText:
    """A file's text with fast offset -> (line, column) lookup."""

    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self._line_starts = starts = [0]
        find = text.find
        index = find("\n")
        while index >= 0:
            starts.append(index + 1)
            index = find("\n", index + 1)

    def location(self, offset: int) -> Location:
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return Location(self.file, line_index + 1, offset - self._line_starts[line_index] + 1)

    def location_from_mark(self, line0: int, column0: int) -> Location:
        """A location from a 0-based (PyYAML) line and column."""
        return Location(self.file, line0 + 1, column0 + 1)

    def line_text(self, line: int) -> str:
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


def caret_snippet(line_text: str, column: int) -> str:
    """Two lines: ` | source` and ` | ....^` pointing at the 1-based column."""
    line_text = line_text.rstrip("\r\n")
    pad = "".join("\t" if ch == "\t" else " " for ch in line_text[: max(0, column - 1)])
    return f" | {line_text}\n | {pad}^"


def align_offsets(value: str, raw: str) -> list[int]:
    """Map each character of a YAML scalar's value to its index in the scalar's raw source.

    The value of a plain, quoted or block scalar differs from its source by indentation,
    folded line breaks, quotes and escapes. Walking both strings greedily recovers where
    each value character came from; whitespace in the value matches any whitespace run in
    the source. The list has one entry more than `value`: the end position.
    """
    mapping: list[int] = []
    j = 0
    n = len(raw)
    for char in value:
        if char.isspace():
            k = j
            while k < n and not raw[k].isspace():
                k += 1
            if k < n:
                mapping.append(k)
                j = k + 1
                while j < n and raw[j].isspace() and raw[j] != char:
                    j += 1
                continue
            mapping.append(min(j, n))
            continue
        k = raw.find(char, j)
        if k < 0:
            mapping.append(min(j, n))
            continue
        mapping.append(k)
        j = k + 1
    mapping.append(min(j, n))
    return mapping
