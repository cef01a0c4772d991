"""What the reader reads, saved once and compared after a change: speed work must not move a byte.

    python benchmarks/reading_snapshot.py --save /tmp/before.json     # on the code before the change
    python benchmarks/reading_snapshot.py --compare /tmp/before.json  # after it: lists what differs

The snapshot holds, as canonical JSON text:
- the case extracted from each seed letter (examples/letters) and each development letter
  (/work/shared/corpus/dev-letters, left out when absent), in summary and in full mode;
- the audit items of each of those letters in both modes (the determination rendered, the
  compact trace, and the reason matching, which reads each reviewer's rationale);
- `read_text` of every sentence of the contrast sets (tests/contrast/*.jsonl), read as a
  summary and as a rationale, and of every reviewer's rationale as the audit reads it
  (white space collapsed) as a rationale.

`--compare` prints each key whose text differs (with the first differing line) and exits 1 when
any does. Keys present on one side only are differences too.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEV = Path("/work/shared/corpus/dev-letters")


def _text(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def snapshot(dev: Path | None) -> dict[str, str]:
    from engine import case_from_dict, load_rules
    from engine.audit.items import item_records
    from engine.evaluator import decide_case
    from engine.extraction import extract_case, read_text

    rules = load_rules()
    letters = sorted((ROOT / "examples" / "letters").glob("*.txt"))
    if dev is not None and dev.is_dir():
        letters += sorted(dev.glob("*.pdf"))
    out: dict[str, str] = {}
    for path in letters:
        for mode in ("summary", "full"):
            data = extract_case(path, mode=mode)
            out[f"case {mode} {path.name}"] = _text(data)
            items = item_records(data, decide_case(rules, case_from_dict(data, file=path.name)),
                                 mode=mode, letter=path.name)
            out[f"items {mode} {path.name}"] = _text(items)
            if mode == "summary":
                for item in (data.get("reviewer") or {}).get("items") or []:
                    rationale = " ".join((item.get("rationale") or "").split())
                    if rationale:
                        out[f"rationale {path.name} {item['request_id']}"] = _text(read_text(rationale, "rationale"))
    for file in sorted((ROOT / "tests" / "contrast").glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            for section in ("summary", "rationale"):
                out[f"contrast {section} {file.name} {entry['id']}"] = _text(read_text(entry["text"], section))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--save", type=Path, help="write the snapshot here")
    action.add_argument("--compare", type=Path, help="compare with a saved snapshot")
    parser.add_argument("--dev", type=Path, default=DEV, help=f"development letters (default {DEV})")
    args = parser.parse_args(argv)
    now = snapshot(args.dev)
    if args.save:
        args.save.write_text(json.dumps(now, sort_keys=True), encoding="utf-8")
        print(f"saved {len(now)} texts to {args.save}")
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    differing = 0
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        differing += 1
        if old is None or new is None:
            print(f"{key}: only {'after' if old is None else 'before'}")
            continue
        for index, (a, b) in enumerate(zip(old.splitlines(), new.splitlines())):
            if a != b:
                print(f"{key}: line {index + 1}\n  before: {a.strip()[:160]}\n  after:  {b.strip()[:160]}")
                break
        else:
            print(f"{key}: the texts differ in length")
    print(f"{len(now)} texts compared with {args.compare}: {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
