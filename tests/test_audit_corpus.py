"""The audit over the 75 real development letters (/work/shared/corpus/dev-letters), when present.

Checks the counts the corpus is known to hold (75 letters, 186 decided items, 20 overturned),
that no letter fails, and that the figures hang together. Skipped, with the reason, where the
corpus is not available.
"""
import json
import os
from pathlib import Path

import pytest

from engine.audit import run_audit

CORPUS = Path(os.environ.get("MTUS_DEV_LETTERS", "/work/shared/corpus/dev-letters"))

pytestmark = pytest.mark.skipif(not CORPUS.is_dir() or not any(CORPUS.glob("*.pdf")),
                                reason=f"development letters not found at {CORPUS} (set MTUS_DEV_LETTERS)")


def test_dev_letters_audit(tmp_path):
    run = run_audit([CORPUS], tmp_path / "out", modes=("summary",))
    summary = run.summary
    assert summary["letters"] == {"total": 75, "ok": 75, "partial": 0, "errored": 0}
    overall = summary["results"]["summary"]["overall"]
    assert overall["items"] == 186
    actual_overturned = overall["confusion"]["predicted_overturned"]["overturned"] + \
        overall["confusion"]["predicted_upheld"]["overturned"] + overall["confusion"]["no_rule"]["overturned"]
    assert actual_overturned == 20
    assert overall["covered"] + overall["no_rule"] == 186
    assert overall["baseline"]["class"] == "upheld"
    items = [json.loads(line) for line in (tmp_path / "out" / "items.jsonl").read_text().splitlines()]
    assert len(items) == 186
    assert len({(i["letter"], i["request_id"]) for i in items}) == 186
