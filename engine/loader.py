"""Rule files (YAML) -> checked, compiled packs. Done once per rule set.

Input: a folder (or file) of rules: folders with a `pack.yaml` hold rule files; `vocab/`
holds the vocabularies. Output: `RuleSet`. Raises `ErrorList`: every problem in every file
(YAML syntax, structure against rule.schema.json, condition syntax, unknown names, types,
units, duplicate ids, invalid test cases), each with file, line, column and the source line.
YAML is read with PyYAML's safe loader only: nothing in a rules file can run code.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import json
from functools import lru_cache
from pathlib import Path

import yaml

from . import parser as dsl_parser
from . import yamlread
from .case import json_path_parts, validate_case
from .checker import Checker
from .compiler import compile_condition, compile_untraced
from .errors import ConditionSyntaxError, ErrorList, RuleError
from .paths import SCHEMA_DIR, rules_dir
from .rules import Citation, Condition, Criterion, Pack, Rule, RuleTest, Unless
from .schemacheck import SchemaChecker
from .source import Location, SourceText, align_offsets, display_path
from .vocab import Vocabularies, load_vocabularies


@lru_cache(maxsize=1)
def _rule_schema() -> dict:
    return json.loads((SCHEMA_DIR / "rule.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def _validator(kind: str):
    """jsonschema's validator, imported only when a file has problems to explain."""
    from jsonschema import Draft202012Validator
    schema = _rule_schema()
    return Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})


@lru_cache(maxsize=2)
def _quick_check(kind: str) -> SchemaChecker:
    """Valid or not, fast; jsonschema (`_validator`) is asked for the problems only when not."""
    schema = _rule_schema()
    return SchemaChecker({"$ref": f"#/$defs/{kind}"}, root=schema)


class YamlDoc:
    """A parsed YAML file: its data, and the node of every path for positions."""

    def __init__(self, text: str, file: str):
        self.source = SourceText(text, file)
        loader, self.root = yamlread.compose(text)
        self.data = yamlread.construct(loader, self.root)

    def node_at(self, path) -> yaml.Node | None:
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        node = value
                        break
                else:
                    return node
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                return node
        return node

    def key_location(self, path) -> Location:
        """The location of the key of the mapping entry at `path` (or of the node)."""
        parent = self.node_at(path[:-1]) if path else None
        if isinstance(parent, yaml.MappingNode):
            for key, _ in parent.value:
                if key.value == path[-1]:
                    return self.mark(key.start_mark)
        node = self.node_at(path)
        return self.mark(node.start_mark) if node is not None else Location(self.source.file, 1, 1)

    def location(self, path) -> Location:
        node = self.node_at(path)
        return self.mark(node.start_mark) if node is not None else Location(self.source.file, 1, 1)

    def mark(self, mark) -> Location:
        return self.source.location_from_mark(mark.line, mark.column)

    def error(self, location: Location, message: str, code: str, hint: str | None = None, cls=RuleError):
        return cls(message, code=code, location=location, source_line=self.source.line_text(location.line), hint=hint)


def _duplicate_keys(doc: YamlDoc, node, errors: ErrorList):
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    errors.add(doc.error(doc.mark(key.start_mark), f"duplicate key {key.value!r}", "duplicate_key"))
                seen.add(key.value)
            _duplicate_keys(doc, value, errors)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(doc, item, errors)


def _read_yaml(path: Path, errors: ErrorList) -> YamlDoc | None:
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        errors.add(RuleError(f"cannot read the file: {err}", code="file_unreadable", path=shown))
        return None
    try:
        doc = YamlDoc(text, shown)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        source = SourceText(text, shown)
        location = source.location_from_mark(mark.line, mark.column) if mark else Location(shown, 1, 1)
        problem = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        errors.add(RuleError(message, code="yaml_syntax_error", location=location,
                             source_line=source.line_text(location.line)))
        return None
    _duplicate_keys(doc, doc.root, errors)
    return doc


def _schema_errors(doc: YamlDoc, kind: str, errors: ErrorList) -> bool:
    if _quick_check(kind)(doc.data):
        return False
    found = False
    for err in sorted(_validator(kind).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        found = True
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            location = doc.key_location(path + [extra[0]]) if extra else doc.location(path)
            allowed = ", ".join(err.schema.get("properties", {}))
            message = f"unexpected key {extra[0]!r}; expected one of: {allowed}" if extra else err.message
        elif err.validator == "required":
            location = doc.location(path)
            message = err.message.replace("is a required property", "is required here")
        else:
            location = doc.location(path)
            where = ".".join(str(p) for p in path) or "the file"
            message = f"{where}: {err.message}"
        errors.add(doc.error(location, message, "rule_schema_error"))
    return found


class RuleSet:
    """Packs of compiled rules, and the vocabularies they were checked against."""

    def __init__(self, packs: list[Pack], vocab: Vocabularies, root: Path):
        self.packs = sorted(packs, key=lambda p: (p.effective_from, p.id))
        self.vocab = vocab
        self.root = root

    @property
    def rules(self) -> list[Rule]:
        return [rule for pack in self.packs for rule in pack.rules]

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class _Builder:
    def __init__(self, vocab: Vocabularies, errors: ErrorList):
        self.vocab = vocab
        self.errors = errors
        self.rule_ids: dict[str, Location] = {}
        self.compiled: dict[str, tuple | list] = {}   # condition text -> what `_compile` made of it

    def condition(self, doc: YamlDoc, path: list) -> Condition | None:
        node = doc.node_at(path)
        text = doc.data
        for part in path:
            text = text[part]
        raw = doc.source.text[node.start_mark.index:node.end_mark.index]
        done = self.compiled.get(text)
        if done is None:
            done = self.compiled[text] = self._compile(text)
        if type(done) is list:
            offsets = align_offsets(text, raw)
            for offset, message, code, hint, cls in done:
                offset = max(0, min(offset, len(text)))
                location = doc.source.location(node.start_mark.index + offsets[offset])
                self.errors.add(doc.error(location, message, code, hint, cls=cls))
            return None
        tree, compiled, untraced = done
        start = doc.source.location(node.start_mark.index + align_offsets(text[:1], raw)[0])
        return Condition(text=" ".join(text.split()), location=start, evaluate=compiled, untraced=untraced,
                         tree=tree)

    def _compile(self, text: str) -> tuple | list:
        """(tree, traced, untraced) for a condition's text, or its problems as
        [(offset, message, code, hint, error class)]. A text met again is not compiled again."""
        try:
            tree = dsl_parser.parse(text)
        except dsl_parser.ParseFailure as failure:
            return [(failure.offset, failure.message, "condition_syntax_error", None, ConditionSyntaxError)]
        checker = Checker(self.vocab)
        checker.check_condition(tree)
        if checker.problems:
            return [(p.span[0], p.message, p.code, p.hint, RuleError) for p in checker.problems]
        return (tree, compile_condition(tree, checker.types, self.vocab),
                compile_untraced(tree, checker.types, self.vocab))

    def rule(self, doc: YamlDoc, index: int, pack: Pack | None) -> Rule | None:
        base = ["rules", index]
        data = doc.data["rules"][index]
        location = doc.location(base)
        if data["id"] in self.rule_ids:
            first = self.rule_ids[data["id"]]
            self.errors.add(doc.error(doc.location(base + ["id"]), f"duplicate rule id {data['id']!r} (first at {first})",
                                      "duplicate_rule_id"))
        else:
            self.rule_ids[data["id"]] = location
        ok = True
        when = self.condition(doc, base + ["when"])
        ok &= when is not None
        criteria = []
        seen = set()
        for c_index, c in enumerate(data.get("criteria", [])):
            if c["id"] in seen:
                self.errors.add(doc.error(doc.location(base + ["criteria", c_index, "id"]),
                                          f"duplicate criterion id {c['id']!r} in rule {data['id']}", "duplicate_criterion_id"))
            seen.add(c["id"])
            test = self.condition(doc, base + ["criteria", c_index, "test"])
            ok &= test is not None
            criteria.append(Criterion(c["id"], c["requires"].strip(), test, c.get("unmet"), c.get("document")))
        if data["effect"] == "support" and not criteria:
            self.errors.add(doc.error(location, f"support rule {data['id']} needs at least one criterion", "rule_schema_error"))
            ok = False
        unless = None
        if "unless" in data:
            if data["effect"] != "against":
                self.errors.add(doc.error(doc.key_location(base + ["unless"]),
                                          "`unless` belongs to against rules only", "rule_schema_error"))
                ok = False
            test = self.condition(doc, base + ["unless", "test"])
            ok &= test is not None
            u = data["unless"]
            unless = Unless(u["requires"].strip(), test, u.get("document"))
        tests = []
        for t_index, t in enumerate(data["tests"]):
            t_path = base + ["tests", t_index]
            case = dict(t["case"])
            if "requests" not in case:
                case["requests"] = [{"text": "(request under test)"}]
            for problem in validate_case(case, self.vocab):
                where = problem.path.replace("$", "case", 1)
                inner = json_path_parts(problem.path)
                self.errors.add(doc.error(doc.location(t_path + ["case"] + inner),
                                          f"test {t['name']!r}: {where}: {problem.message}", "case_schema_error"))
                ok = False
            request_index = t.get("request", 0)
            if request_index >= len(case["requests"]):
                self.errors.add(doc.error(doc.location(t_path), f"test {t['name']!r}: no request {request_index} in its case",
                                          "rule_schema_error"))
                ok = False
            for c_id in (t["expect"].get("criteria") or {}):
                if c_id not in seen:
                    self.errors.add(doc.error(doc.location(t_path + ["expect", "criteria"]),
                                              f"test {t['name']!r}: rule {data['id']} has no criterion {c_id!r}",
                                              "rule_schema_error"))
                    ok = False
            tests.append(RuleTest(t["name"], case, t["expect"], request_index, doc.location(t_path),
                                  t.get("index_outcome")))
        if not ok:
            return None
        citation = Citation(**data["citation"])
        return Rule(id=data["id"], title=data["title"], effect=data["effect"], citation=citation, when=when,
                    criteria=tuple(criteria), rationale=" ".join(data["rationale"].split()), unless=unless,
                    tests=tuple(tests), location=location, pack=pack, supersedes=tuple(data.get("supersedes", ())))


def _pack(doc: YamlDoc) -> Pack:
    p = doc.data["pack"]
    to = p.get("effective_to")
    return Pack(id=p["id"], title=p["title"], guideline=p["guideline"], edition=str(p["edition"]),
                version=str(p["version"]), source=p["source"],
                effective_from=_dt.date.fromisoformat(p["effective_from"]),
                effective_to=_dt.date.fromisoformat(to) if to else None, location=doc.location(["pack"]),
                inherits=tuple(p.get("inherits", ())))


def _starts(rule_id: str, prefixes) -> bool:
    return any(rule_id == p or rule_id.startswith(p + ".") for p in prefixes)


def _inherit(packs: list[Pack], errors: ErrorList) -> None:
    """Copy the rules a pack inherits from earlier editions, re-cited to the inheriting pack.

    A carried-over rule keeps its criteria, tests and pages; its id takes the new pack's id
    as prefix, its citation names the new pack's guideline and edition, and its citation note
    says where the criteria come from. Sources are read as they were loaded (no chains).
    """
    by_id = {p.id: p for p in packs}
    own = {p.id: list(p.rules) for p in packs}
    for pack in packs:
        for spec in pack.inherits:
            source = by_id.get(spec["pack"])
            if source is None:
                errors.add(RuleError(f"pack {pack.id} inherits from unknown pack {spec['pack']!r}; packs are: "
                                     + ", ".join(sorted(by_id)), code="unknown_pack", location=pack.location,
                                     source_line=""))
                continue
            for rule in own[source.id]:
                if spec.get("only") and not _starts(rule.id, spec["only"]):
                    continue
                if spec.get("except") and _starts(rule.id, spec["except"]):
                    continue
                new_id = pack.id + rule.id[len(source.id):] if rule.id.startswith(source.id + ".") else f"{pack.id}.{rule.id}"
                note = spec.get("note") or f"criteria carried over from {source.guideline} ({source.edition})"
                citation = Citation(f"{pack.guideline} ({pack.edition})", rule.citation.section, rule.citation.pages, note)
                pack.rules.append(dataclasses.replace(rule, id=new_id, citation=citation, pack=pack, inherited_from=rule.id))


def _is_vocab_dir(path: Path) -> bool:
    return path.name == "vocab"


def load_rules(path: str | Path | None = None, *, vocab: Vocabularies | None = None) -> RuleSet:
    """Load, check and compile every pack under `path` (default: the shipped rules).

    Raises ErrorList with every problem found in every file.
    """
    # Loading makes many objects and frees few: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_rules(path, vocab)
    finally:
        if enabled:
            gc.enable()


def _load_rules(path: str | Path | None, vocab: Vocabularies | None) -> RuleSet:
    root = Path(path) if path else rules_dir()
    errors = ErrorList()
    if not root.exists():
        errors.add(RuleError("no such file or folder", code="file_not_found", path=display_path(root)))
        raise errors
    if vocab is None:
        vocab_root = root / "vocab" if (root / "vocab").is_dir() else rules_dir() / "vocab"
        try:
            vocab = load_vocabularies(vocab_root)
        except ErrorList as vocab_errors:
            raise vocab_errors
    builder = _Builder(vocab, errors)
    if root.is_file():
        files = [root]
        pack_root = root.parent
    else:
        files = sorted(p for p in root.rglob("*.yaml") if not any(_is_vocab_dir(a) for a in p.relative_to(root).parents if a.name))
        pack_root = root
    packs: dict[Path, Pack] = {}
    docs: list[tuple[Path, YamlDoc]] = []
    for file in files:
        doc = _read_yaml(file, errors)
        if doc is None:
            continue
        if doc.data is None:
            errors.add(RuleError("the file is empty; expected `rules:` or `pack:`", code="rule_schema_error",
                                 location=Location(doc.source.file, 1, 1), source_line=""))
            continue
        kind = "pack_file" if isinstance(doc.data, dict) and "pack" in doc.data else "rule_file"
        if _schema_errors(doc, kind, errors):
            continue
        if kind == "pack_file":
            packs[file.parent] = _pack(doc)
        else:
            docs.append((file, doc))
    # a file given alone still belongs to the pack of its folder
    if root.is_file() and root.parent not in packs:
        for folder in [root.parent, *root.parent.parents]:
            pack_file = folder / "pack.yaml"
            if pack_file.is_file():
                doc = _read_yaml(pack_file, errors)
                if doc is not None and not _schema_errors(doc, "pack_file", errors):
                    packs[folder] = _pack(doc)
                break
    for file, doc in docs:
        pack = next((packs[folder] for folder in [file.parent, *file.parents] if folder in packs), None)
        if pack is None:
            errors.add(RuleError("this rules file is in no pack: put a pack.yaml in its folder", code="no_pack",
                                 location=Location(doc.source.file, 1, 1), source_line=doc.source.line_text(1)))
            continue
        for index in range(len(doc.data["rules"])):
            rule = builder.rule(doc, index, pack)
            if rule is not None:
                pack.rules.append(rule)
    _inherit(list(packs.values()), errors)
    if errors:
        raise errors
    return RuleSet(list(packs.values()), vocab, pack_root)
