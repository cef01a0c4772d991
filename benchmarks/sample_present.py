"""A fixed random sample of the `present` findings a reader gives on the measured dev letters.

Precision of `present` findings is judged by hand (docs/precision.md): this script draws the
statements to judge. It extracts every dev letter of the measured half (even case numbers) in
summary and full mode, pools every statement whose status is `present` (case-level findings
and their `mentions`, and in full mode the findings of each request, read from its rationale),
and draws N of them with a fixed seed. A statement found in both modes is counted once.

    python benchmarks/sample_present.py [FOLDER] [-n 40] [--seed 12] [--repo PATH] [--jsonl]

FOLDER defaults to ../shared/corpus/dev-letters. `--repo PATH` reads with the engine of another
checkout (an older reader, to compare; PYTHONPATH would not do, as this checkout comes first on the
path); the engine used is named on stderr. The default output is a numbered list (letter, scope,
concept, body parts and side, the quoted sentence); `--jsonl` prints one JSON object a line.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "dev-letters"
MODES = ("summary", "full")


def measured(path: Path) -> bool:
    """Whether a letter is in the measured half: the last digit of its case number is even."""
    digits = re.sub(r"\D", "", Path(path).stem)
    return bool(digits) and int(digits[-1]) % 2 == 0


SENTENCE_END = re.compile(r"[.?!][\"')]*\s")


def sentence_of(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end), with its whitespace collapsed (a reader may
    quote only a clause or a list item; the judge needs the whole sentence)."""
    head = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    tail = SENTENCE_END.search(text, max(start, end - 1))
    return " ".join(text[head:tail.start() + 1 if tail else len(text)].split())


def _statements(letter: str, scope: str, findings: dict, text: str | None) -> list[dict]:
    out = []
    for concept in sorted(findings):
        finding = findings[concept]
        for statement in [finding] + finding.get("mentions", []):
            if statement.get("status") != "present":
                continue
            evidence = statement.get("evidence", {})
            quote = " ".join(evidence.get("quote", "").split())
            found = {"letter": letter, "scope": scope, "concept": concept,
                     "section": evidence.get("section"), "start": evidence.get("start"), "quote": quote,
                     "body_parts": statement.get("body_parts", []), "side": statement.get("side")}
            if text is not None and evidence.get("start") is not None:
                sentence = sentence_of(text, evidence["start"], evidence.get("end", evidence["start"]))
                if sentence != quote:
                    found["sentence"] = sentence
            out.append(found)
    return out


def present_statements(letter: str, case: dict, text: str | None = None) -> list[dict]:
    """Every `present` statement of an extracted case: case-level findings and their mentions,
    then each request's findings (scope: the request id and item). With the letter's normalised
    text, a quote shorter than its sentence also gets the `sentence`."""
    out = _statements(letter, "case", case.get("findings", {}), text)
    for request in case.get("requests", []):
        scope = f"{request.get('id')} ({request.get('item') or request.get('text') or '?'})"
        out += _statements(letter, scope, request.get("findings", {}), text)
    return out


def pool(cases: list[tuple[str, dict, str | None]]) -> list[dict]:
    """The present statements of (letter, case, text) triples, each once, in a stable order."""
    seen, out = set(), []
    for letter, case, text in cases:
        for s in present_statements(letter, case, text):
            key = (s["letter"], s["scope"], s["concept"], s["section"], s["start"])
            if key not in seen:
                seen.add(key)
                out.append(s)
    return sorted(out, key=lambda s: (s["letter"], s["scope"], s["concept"], s["start"] or 0))


def sample(statements: list[dict], n: int, seed: int) -> list[dict]:
    """N statements drawn with `random.Random(seed)` (all when there are fewer), listed by letter."""
    drawn = random.Random(seed).sample(statements, min(n, len(statements)))
    return sorted(drawn, key=lambda s: (s["letter"], s["scope"], s["concept"], s["start"] or 0))


def extract_all(folder: Path) -> list[tuple[str, dict, str]]:
    """(letter, case, normalised text) for each measured letter and mode."""
    from engine.extraction import LetterError, extract_case
    from engine.extraction.reader import read_letter
    cases = []
    for path in sorted(p for p in folder.glob("*.pdf") if measured(p)):
        try:
            text = read_letter(path)
            cases += [(path.stem, extract_case(path, mode=mode), text) for mode in MODES]
        except LetterError as err:
            print(f"{path.name}: {err}", file=sys.stderr)
    return cases


def render(drawn: list[dict]) -> str:
    lines = []
    for i, s in enumerate(drawn, 1):
        place = ", ".join(s["body_parts"] + ([s["side"]] if s["side"] else []))
        lines.append(f"{i:2}. {s['letter']}  {s['scope']}  {s['concept']}" + (f"  [{place}]" if place else ""))
        lines.append(f"    {s['section']}@{s['start']}: \"{s['quote']}\"")
        if "sentence" in s:
            lines.append(f"    in: \"{s['sentence']}\"")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose engine reads the letters")
    parser.add_argument("--jsonl", action="store_true")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"skipped: no dev letters at {args.folder}", file=sys.stderr)
        return 0
    sys.path.insert(0, str(args.repo.resolve()))
    import engine
    statements = pool(extract_all(args.folder))
    drawn = sample(statements, args.n, args.seed)
    print(f"# {len(statements)} present statements on the measured half; {len(drawn)} drawn "
          f"(seed {args.seed}, reader {Path(engine.__file__).parent.parent})", file=sys.stderr)
    if args.jsonl:
        print("\n".join(json.dumps(s, sort_keys=True) for s in drawn))
    else:
        print(render(drawn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
