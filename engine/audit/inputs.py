"""Which letters an audit reads: files, folders and glob patterns -> a sorted list of letter files.

Stage: audit (input). Input: the PATH arguments. Output: `Letter`s (absolute path, the path as
shown, size and modification time) sorted by shown path, each file once, and `Missing`
entries for arguments that name nothing. Raises nothing: a missing path is recorded, not fatal.

- a file is taken whatever its suffix (a file named on the command line is meant to be read:
  if it is not a letter, the error says so and the run goes on);
- a folder is searched recursively for `.txt` and `.pdf` files (any case), skipping hidden
  files and folders (names starting with "."); other files in it are ignored;
- an argument that does not exist and holds `*`, `?` or `[` is a glob pattern (`**` recurses);
  the .txt and .pdf files it matches are taken, folders it matches are searched.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from ..source import display_path

SUFFIXES = {".txt", ".pdf"}


@dataclass(frozen=True)
class Letter:
    path: str            # absolute; the key a resumed run recognises the letter by
    shown: str           # as reports show it (relative to the working directory when inside it)
    size: int | None
    mtime_ns: int | None

    @property
    def fingerprint(self) -> list:
        return [self.size, self.mtime_ns]


@dataclass(frozen=True)
class Missing:
    argument: str
    message: str


def _stat(path: str) -> tuple[int | None, int | None]:
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return st.st_size, st.st_mtime_ns


def _walk(folder: str):
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield os.path.join(root, name)


def _letter(path: str) -> Letter:
    absolute = os.path.abspath(path)
    size, mtime = _stat(absolute)
    return Letter(absolute, display_path(absolute), size, mtime)


def find_letters(arguments) -> tuple[list[Letter], list[Missing]]:
    """The letters named by `arguments`, and the arguments that name none."""
    found: dict[str, Letter] = {}
    missing: list[Missing] = []

    def add(path: str):
        letter = _letter(path)
        found.setdefault(letter.path, letter)

    for argument in arguments:
        argument = os.fspath(argument)
        if os.path.isdir(argument):
            before = len(found)
            for path in _walk(argument):
                add(path)
            if len(found) == before:
                missing.append(Missing(argument, "the folder holds no .txt or .pdf letter"))
        elif os.path.exists(argument):
            add(argument)
        elif any(ch in argument for ch in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            count = 0
            for match in matches:
                if os.path.isdir(match):
                    for path in _walk(match):
                        add(path)
                        count += 1
                elif Path(match).suffix.lower() in SUFFIXES:
                    add(match)
                    count += 1
            if count == 0:
                missing.append(Missing(argument, "no letter matches this pattern"))
        else:
            missing.append(Missing(argument, "no such file or folder"))
    letters = sorted(found.values(), key=lambda x: (x.shown, x.path))
    return letters, missing
