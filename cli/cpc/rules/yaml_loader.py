"""Reading allocation.yml text: strict YAML (no duplicate keys, marked bad dates)."""

from __future__ import annotations

from typing import Any

import yaml

from cpc.errors import UserError
from cpc.rules.messages import _one_line


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys and reports bad dates with a line number."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing duplicate keys."""
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: the base constructor reports it
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        """Build a date/datetime, turning impossible dates into a marked YAML error."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r} ({err})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        """Build an int that remembers how it was written (so id ``012345`` keeps its zero)."""
        value = _YamlInt(super().construct_yaml_int(node))
        value.source = str(node.value)
        return value


class _YamlInt(int):
    """An int read from YAML, with the text it was written as (``source``)."""

    source: str


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text, turning every failure into a one-line UserError."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = err.problem or err.context or "invalid YAML"
        raise UserError(_one_line(f"{where}:{line} invalid YAML: {problem}")) from None
    except yaml.YAMLError as err:
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None
    except RecursionError:
        raise UserError(f"{where}: invalid YAML: nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - never show a traceback for a bad file
        raise UserError(_one_line(f"{where}: invalid YAML: {err}")) from None
