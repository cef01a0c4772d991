"""engine.yamlread builds the same documents as PyYAML's safe loader, and refuses the same."""
from pathlib import Path

import pytest
import yaml

from engine import yamlread

ROOT = Path(__file__).resolve().parent.parent


def _pyyaml(text):
    return yaml.load(text, Loader=yamlread.Loader)


def _ours(text):
    loader, root = yamlread.compose(text)
    return yamlread.construct(loader, root)


def _same(a, b):
    """Equal, with the same types all the way down (1 vs 1.0 vs True differ)."""
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b or (a != a and b != b)   # nan


@pytest.mark.parametrize("path", sorted((ROOT / "rules").rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_reads_the_same(path):
    text = path.read_text(encoding="utf-8")
    _same(_ours(text), _pyyaml(text))


CASES = {
    "scalars": "a: 1\nb: 1.5\nc: true\nd: ~\ne: text\nf: '1'\ng: yes\nh: 0x1F\ni: 1_000\nj: .inf\nk: -.5\nl: off\n",
    "dates stay strings": "day: 2016-07-28\nwhen: 2016-07-28 10:00:00\n",
    "nested": "rules:\n  - id: x\n    tests:\n      - case: {a: [1, 2, {b: null}]}\n",
    "block scalars": "a: |\n  one\n  two\nb: >-\n  folded\n  text\n",
    "anchors and aliases": "base: &b {x: 1, y: [1, 2]}\nother: *b\nlist: [*b, *b]\n",
    "merge keys": "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n",
    "duplicate keys, last wins": "a: 1\na: 2\n",
    "numeric and boolean keys": "1: one\ntrue: yes\nnull: nothing\n1.5: x\n",
    "explicit safe tags": "a: !!str 12\nb: !!int '7'\nc: !!float '2'\nd: !!set {x, y}\ne: !!binary aGVsbG8=\n",
    "empty": "",
    "comments only": "# nothing here\n",
    "empty collections": "a: {}\nb: []\nc:\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_documents_read_the_same(name):
    text = CASES[name]
    _same(_ours(text), _pyyaml(text))


def test_aliases_are_shared_as_pyyaml_shares_them():
    data = _ours("base: &b {x: 1}\nother: *b\n")
    assert data["base"] is data["other"]


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['echo hacked']\n",
    "a: !!python/name:os.system\n",
    "a: !custom 1\n",
    "a: !!str [1, 2]\n",
    "a: !!map [1, 2]\n",
    "a: !!seq {x: 1}\n",
    "? [1, 2]\n: unhashable key\n",
    "a: 1\n---\nb: 2\n",
    "a: [1, 2\n",
])
def test_refuses_what_the_safe_loader_refuses(text):
    with pytest.raises(yaml.YAMLError):
        _pyyaml(text)
    with pytest.raises(yaml.YAMLError):
        _ours(text)
