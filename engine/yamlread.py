"""Reading rule and vocabulary YAML: safely, and fast.

PyYAML's safe loader (libyaml's parser when present) makes the node tree, which also gives
the positions errors point to. The document is then built from the nodes by a plain walk for
the plain YAML types (mappings, sequences, strings, numbers, booleans, null); any other tag
goes to the safe constructor, which builds the few safe types and refuses the rest (a
`!!python/...` tag is an error, never code). Dates stay strings, as in case JSON: the
implicit timestamp type is off.
"""
from __future__ import annotations

import yaml

_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR = "tag:yaml.org,2002:str"


class Loader(_SafeBase):
    """The safe loader without implicit timestamps."""

    yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind, value, implicit):
        # Most scalars are plain text starting with a character no implicit type (number,
        # boolean, null) starts with: a string, without trying the types' patterns.
        if kind is yaml.ScalarNode and implicit[0] and value and value[0] not in _TYPED_STARTS:
            return _STR
        return super().resolve(kind, value, implicit)


# First characters of the implicit types; with no catch-all (None) entry and no path resolvers,
# a plain scalar starting with another character resolves to a string.
_TYPED_STARTS = frozenset(key for key in Loader.yaml_implicit_resolvers if key)
assert None not in Loader.yaml_implicit_resolvers and not Loader.yaml_path_resolvers
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def compose(text: str) -> tuple[Loader, yaml.Node | None]:
    """The loader (for `construct`) and the root node of the single document in `text`.
    Raises yaml.YAMLError."""
    loader = Loader(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


def construct(loader: Loader, root: yaml.Node | None):
    """The document the safe loader would build from `root`. Raises yaml.YAMLError."""
    if root is None:
        return None
    scalars = {
        "tag:yaml.org,2002:int": loader.construct_yaml_int,
        "tag:yaml.org,2002:float": loader.construct_yaml_float,
        "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
        "tag:yaml.org,2002:null": loader.construct_yaml_null,
    }
    built: dict[int, object] = {}     # id(node) -> value: an aliased node is built once and shared

    def build(node):
        done = built.get(id(node))
        if done is not None:
            return done
        tag = node.tag
        kind = type(node)
        if tag == _STR and kind is yaml.ScalarNode:
            return node.value
        if (tag == _MAP and kind is yaml.MappingNode
                and all(type(k) is yaml.ScalarNode and k.tag != _MERGE for k, _ in node.value)):
            value = built[id(node)] = {}
            for key, item in node.value:
                value[build(key)] = build(item)
            return value
        if tag == _SEQ and kind is yaml.SequenceNode:
            value = built[id(node)] = []
            value.extend(build(item) for item in node.value)
            return value
        scalar = scalars.get(tag) if kind is yaml.ScalarNode else None
        if scalar is not None:
            return scalar(node)
        value = built[id(node)] = loader.construct_object(node, deep=True)   # other safe tags, or an error
        return value

    try:
        return build(root)
    finally:
        loader.dispose()
