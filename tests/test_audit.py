"""`mtus audit` end to end on the seed letters shipped in examples/letters (no ../shared needed).

Covers: the output files and their fields, error isolation (an empty file, a binary file and
a text that is not a letter), resuming an interrupted run without redoing or duplicating
letters, a self-contained report.html, deterministic summary.json, the command's options and
exit codes, and a worker process that dies.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.audit import AuditError, run_audit
from engine.audit import command, runner
from engine.audit.progress import Progress
from engine.loader import load_rules

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "examples" / "letters").glob("*.txt"))
SEED_ITEMS = 9


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
    return folder


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def item_keys(out: Path) -> list[tuple]:
    return [(i["letter"], i["request_id"], i["mode"]) for i in lines(out / "items.jsonl")]


def test_seed_letters_all_outputs(corpus, tmp_path, rules):
    """GIVEN the five seed letters WHEN audited in both modes THEN every output is written and
    each item has its fields, once per mode."""
    out = tmp_path / "out"
    run = run_audit([corpus], out, modes=("summary", "full"), jobs=1, rules=rules)
    for name in ("items.jsonl", "items.csv", "errors.jsonl", "summary.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    items = lines(out / "items.jsonl")
    assert len(items) == 2 * SEED_ITEMS
    assert len(set(item_keys(out))) == len(items)
    first = items[0]
    for field in ("letter", "request_id", "item", "kind", "drug_generic", "drug_class", "predicted",
                  "imr_equivalent", "actual", "mode", "agreement", "unmet", "unknown", "against",
                  "reviewer_guidelines", "reviewer_sections", "engine_rationale", "reviewer_rationale",
                  "evidence", "reasons", "trace"):
        assert field in first, field
    assert {i["predicted"] for i in items} <= {"certify", "non_certify", "no_rule"}
    assert {i["actual"] for i in items} <= {"upheld", "overturned"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary == run.summary
    assert summary["letters"] == {"total": 5, "ok": 5, "partial": 0, "errored": 0}
    assert summary["modes"] == ["summary", "full"]
    for mode in ("summary", "full"):
        overall = summary["results"][mode]["overall"]
        assert overall["items"] == SEED_ITEMS
        assert overall["baseline"]["class"] == "upheld"
        assert set(summary["results"][mode]) == {"overall", "by_drug_class", "by_section", "by_guideline"}
    with open(out / "items.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * SEED_ITEMS and rows[0]["predicted"] in {"certify", "non_certify", "no_rule"}
    assert (out / "errors.jsonl").read_text() == ""


def test_bad_letters_are_recorded_and_the_run_goes_on(corpus, tmp_path, rules):
    """GIVEN an empty file, a binary file and a text that is not a letter among the seeds
    WHEN audited THEN the report is still made and errors.jsonl names those three."""
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "note.txt").write_text("Dear friend,\nThe weather was lovely and we went to the beach.\n")
    out = tmp_path / "out"
    run = run_audit([corpus], out, jobs=1, rules=rules)
    errors = {Path(e["letter"]).name: e for e in lines(out / "errors.jsonl")}
    assert set(errors) == {"empty.txt", "binary.txt", "note.txt"}
    assert errors["empty.txt"]["code"] == "letter_empty"
    assert errors["binary.txt"]["code"] == "letter_binary"
    assert errors["note.txt"]["code"] == "not_a_letter"
    assert all(e["message"] for e in errors.values())
    assert run.summary["letters"] == {"total": 8, "ok": 5, "partial": 0, "errored": 3}
    assert run.summary["errors"]["total"] == 3
    assert run.summary["results"]["summary"]["overall"]["items"] == SEED_ITEMS
    html = (out / "report.html").read_text()
    assert "not_a_letter" in html and "letter_binary" in html
    assert "letter_empty" in (out / "report.md").read_text()


def test_missing_paths_and_globs(corpus, tmp_path, rules):
    out = tmp_path / "out"
    run = run_audit([str(corpus / "00[01]_*.txt"), tmp_path / "nowhere.txt", str(tmp_path / "*.nothing")], out,
                    jobs=1, rules=rules)
    assert run.letters_found == 2
    codes = [e["code"] for e in lines(out / "errors.jsonl")]
    assert codes == ["letter_not_found", "letter_not_found"]


class Stop(Exception):
    pass


def test_resume_after_interruption(corpus, tmp_path, rules):
    """GIVEN a run interrupted after its first letter, with the next letter half written
    (two of its item lines, one cut in the middle, and no ledger line)
    WHEN the same command is run again with one more letter
    THEN the finished letter is skipped, the others are done once, and no item is duplicated."""
    first, second, third = sorted(corpus.glob("*.txt"))[:3]
    early = tmp_path / "early"
    early.mkdir()
    for letter in (first, second):
        shutil.copy(letter, early / letter.name)
    out = tmp_path / "out"

    def interrupt(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_audit([early], out, jobs=1, rules=rules, on_letter=interrupt)
    ledger = lines(out / "letters.jsonl")
    assert [Path(x["path"]).name for x in ledger] == [first.name]
    assert not (out / "summary.json").exists()
    # simulate the second letter cut off half-way: its first item line whole, a second cut
    fresh = tmp_path / "fresh"
    run_audit([second], fresh, jobs=1, rules=rules)
    half = (fresh / "items.jsonl").read_text().splitlines()
    with open(out / "items.jsonl", "a", encoding="utf-8") as handle:
        handle.write(half[0].replace(str(second), str(early / second.name)) + "\n")
        handle.write(half[0][:40])
    shutil.copy(third, early / third.name)
    done = []
    run = run_audit([early], out, jobs=1, rules=rules, on_letter=lambda r: done.append(Path(r.path).name))
    assert sorted(done) == sorted([second.name, third.name])
    assert run.letters_skipped == 1 and run.letters_done == 2
    keys = item_keys(out)
    assert len(keys) == len(set(keys))
    clean = tmp_path / "clean"
    expected = run_audit([early], clean, jobs=1, rules=rules)
    assert sorted(keys) == sorted(item_keys(clean))
    assert run.summary["letters"] == expected.summary["letters"]
    assert run.summary["results"] == expected.summary["results"]
    assert len(lines(out / "letters.jsonl")) == 3
    # a third run has nothing left to do
    again = run_audit([early], out, jobs=1, rules=rules)
    assert again.letters_done == 0 and again.letters_skipped == 3
    assert sorted(item_keys(out)) == sorted(keys)


def test_resume_refuses_other_settings_and_no_resume_starts_over(corpus, tmp_path, rules):
    out = tmp_path / "out"
    run_audit([corpus], out, jobs=1, rules=rules)
    with pytest.raises(AuditError, match="modes"):
        run_audit([corpus], out, modes=("full",), jobs=1, rules=rules)
    run = run_audit([corpus], out, modes=("full",), jobs=1, rules=rules, resume=False)
    assert run.letters_done == 5 and run.summary["modes"] == ["full"]
    assert {i["mode"] for i in lines(out / "items.jsonl")} == {"full"}


def test_an_edited_letter_is_done_again(corpus, tmp_path, rules):
    out = tmp_path / "out"
    run_audit([corpus], out, jobs=1, rules=rules)
    letter = sorted(corpus.glob("*.txt"))[0]
    letter.write_text(letter.read_text() + "\n")
    run = run_audit([corpus], out, jobs=1, rules=rules)
    assert run.letters_done == 1 and run.letters_skipped == 4
    keys = item_keys(out)
    assert len(keys) == len(set(keys)) == SEED_ITEMS


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in {"link", "script", "img", "iframe", "object", "embed", "base", "source", "video", "audio"}:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name in {"src", "srcset", "data", "action", "poster"}:
                self.problems.append(f"{name}={value}")
            if name in {"href", "xlink:href"} and not value.startswith("#"):
                self.problems.append(f"{name}={value}")
            if "http:" in value or "https:" in value or "url(" in value:
                self.problems.append(f"{name}={value}")


def test_report_html_is_self_contained(corpus, tmp_path, rules):
    out = tmp_path / "out"
    run_audit([corpus], out, modes=("summary", "full"), jobs=1, rules=rules)
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _References()
    parser.feed(html)
    assert parser.problems == []
    for needle in ("http:", "https:", "@import", "url(", "<link", "<script", "src="):
        assert needle not in html, needle
    assert html.count("<svg") >= 6                  # charts are inline SVG
    assert "<mark>" in html                         # evidence quotes highlighted
    assert 'id="disagreements-summary"' in html and 'id="no-rule"' in html


def test_summary_is_deterministic(corpus, tmp_path, rules):
    """The same letters give byte-identical summary.json and report.md, one job or two."""
    a, b = tmp_path / "a", tmp_path / "b"
    run_audit([corpus], a, modes=("summary", "full"), jobs=1, rules=rules)
    run_audit([corpus], b, modes=("summary", "full"), jobs=2)
    assert (a / "summary.json").read_bytes() == (b / "summary.json").read_bytes()
    assert (a / "report.md").read_bytes() == (b / "report.md").read_bytes()
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()


def _crash_on_note(task):
    if task[0].endswith("crash.txt"):
        os._exit(1)
    return _real_process(task)


_real_process = runner.process_letter


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched worker needs fork")
def test_a_dying_worker_is_recorded_and_the_run_goes_on(corpus, tmp_path, monkeypatch):
    (corpus / "crash.txt").write_text("whatever")
    monkeypatch.setattr(runner, "process_letter", _crash_on_note)
    out = tmp_path / "out"
    run = run_audit([corpus], out, jobs=2)
    errors = lines(out / "errors.jsonl")
    assert [(Path(e["letter"]).name, e["code"]) for e in errors] == [("crash.txt", "worker_crashed")]
    assert run.summary["results"]["summary"]["overall"]["items"] == SEED_ITEMS
    keys = item_keys(out)
    assert len(keys) == len(set(keys)) == SEED_ITEMS


# --------------------------------------------------------------------------- the command

def parse(argv):
    parser = argparse.ArgumentParser(prog="mtus")
    command.configure(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_command_runs_and_prints_the_figures(corpus, tmp_path):
    """GIVEN `mtus audit DIR --out OUT --mode both --jobs 1` WHEN run THEN exit 0 and the
    closing lines give agreement beside the baseline for each mode."""
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    args = parse(["audit", str(corpus), "--out", str(out), "--mode", "both", "--jobs", "1", "--progress", "lines"])
    assert command.run(args, stdout, stderr) == 0
    text = stdout.getvalue()
    assert "summary: coverage" in text and "full: coverage" in text and "majority baseline" in text
    assert "audit: 5/5 letters" in stderr.getvalue()


def test_command_options_and_exit_codes(corpus, tmp_path):
    args = parse(["audit", str(corpus)])
    assert args.mode == "summary" and args.resume is True and args.jobs is None and args.out == command.DEFAULT_OUT
    assert parse(["audit", "x", "--no-resume"]).resume is False
    with pytest.raises(SystemExit):
        parse(["audit", "x", "--jobs", "0"])
    with pytest.raises(SystemExit):
        parse(["audit", "x", "--mode", "half"])
    stdout, stderr = io.StringIO(), io.StringIO()
    nothing = parse(["audit", str(tmp_path / "none"), "--out", str(tmp_path / "o1"), "-q"])
    assert command.run(nothing, stdout, stderr) == command.EXIT_BAD_INPUT
    assert stdout.getvalue() == ""
    first = parse(["audit", str(corpus), "--out", str(tmp_path / "o2"), "-q", "-j", "1"])
    assert command.run(first, stdout, stderr) == 0
    other = parse(["audit", str(corpus), "--out", str(tmp_path / "o2"), "-q", "-j", "1", "--mode", "full"])
    stderr = io.StringIO()
    assert command.run(other, stdout, stderr) == command.EXIT_USAGE
    assert "--no-resume" in stderr.getvalue()
    bad_rules = tmp_path / "rules"
    bad_rules.mkdir()
    (bad_rules / "broken.yaml").write_text("rules: [\n")
    broken = parse(["audit", str(corpus), "--out", str(tmp_path / "o3"), "-q", "--rules", str(bad_rules)])
    stderr = io.StringIO()
    assert command.run(broken, stdout, stderr) == command.EXIT_RULE_ERRORS
    assert "broken.yaml" in stderr.getvalue()


# --------------------------------------------------------------------------- progress

class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_and_lines_elsewhere():
    """One letter a second: the bar redraws in place with rate and ETA; the plain lines come
    every `interval` seconds, then a last one."""
    now = [0.0]
    tty = _Tty()
    bar = Progress(4, tty, clock=lambda: now[0])
    for _ in range(4):
        now[0] += 1
        bar.update()
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") >= 4 and "4/4 letters" in text and "1.0/s" in text and "ETA" in text
    assert "2/4 letters   50%  1.0/s  ETA 0:00:02" in text
    now = [0.0]
    log = io.StringIO()
    plain = Progress(10, log, interval=3, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 1
        plain.update()
    plain.close()
    out = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert [line.split()[1] for line in out] == ["3/10", "6/10", "9/10", "10/10"]
