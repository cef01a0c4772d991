"""Synthetic letters are labelled synthetic in every audit output."""
import json

from engine.cli import main
from engine.synthetic import write_corpus


def test_synthetic_letters_are_labelled_in_every_output(tmp_path, capsys):
    corpus = tmp_path / "letters"
    write_corpus(corpus, 6, seed=11)
    out = tmp_path / "out"
    assert main(["audit", str(corpus), "--out", str(out), "--jobs", "1", "--progress", "none"]) == 0
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert items and all(item["source"] == "synthetic" for item in items)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["synthetic_items"] == len(items)
    assert "SYNTHETIC" in (out / "report.md").read_text()
    assert "SYNTHETIC" in (out / "report.html").read_text()
    header = (out / "items.csv").read_text().splitlines()[0].split(",")
    assert "source" in header


def test_real_letters_are_not_labelled_synthetic(tmp_path):
    from pathlib import Path
    letters = Path(__file__).parent.parent / "examples" / "letters"
    out = tmp_path / "out"
    assert main(["audit", str(letters), "--out", str(out), "--jobs", "1", "--progress", "none"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["synthetic_items"] == 0
    assert "SYNTHETIC" not in (out / "report.html").read_text()
