"""YAML written for people: block style, keys in the order given, short lists and conditions on one line."""

from __future__ import annotations

from typing import Any

import yaml

_NO_FOLDING = 1 << 20  # a long title stays on its line


class Flow(list[Any]):
    """A list written on one line, `[a, b]`: ids, tags, approvals."""


class FlowMap(dict[str, Any]):
    """A mapping written on one line, `{input: x, op: ">", value: 0}`: a condition's leaf."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent a list under its key, as people write it (PyYAML would not)."""
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        """Double quotes where quotes are needed, as the samples and the docs write them."""
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a shared value is written out again: no `&id001` anchors for a reader to follow


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Text of several lines as a `|` block, which reads as it will print."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True))
_Dumper.add_representer(FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True))


def block_yaml(data: Any, indent: int = 0) -> str:
    """`data` as block YAML without its final newline, every line indented by `indent` spaces."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=_NO_FOLDING)
    pad = " " * indent
    return "\n".join(pad + line for line in text.rstrip("\n").split("\n"))
