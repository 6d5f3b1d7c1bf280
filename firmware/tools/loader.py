"""YAML that remembers where each value came from, so errors can name the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """Problems in a prop config, each with its file and line."""

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        """Keep (file, line, message) triples."""
        self.problems = problems
        super().__init__("\n".join(f"{f}:{line}: {msg}" for f, line, msg in problems))


class LineDict(dict[str, Any]):
    """A mapping with the line of itself and of each key."""

    line = 0
    lines: dict[str, int]


class LineList(list[Any]):
    """A sequence with the line of itself and of each item."""

    line = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    secrets: dict[str, Any]
    secrets_file: Path


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                problem="keys must be text", problem_mark=key_node.start_mark
            )
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"{key!r} appears twice", problem_mark=key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    construct = loader.construct_object
    out = LineList(construct(child, deep=True) for child in node.value)  # type: ignore[no-untyped-call]
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _secret(loader: _Loader, node: yaml.ScalarNode) -> Any:
    name = loader.construct_scalar(node)
    if name not in loader.secrets:
        raise yaml.MarkedYAMLError(
            problem=f"secret {name!r} is not in {loader.secrets_file.name}",
            problem_mark=node.start_mark,
        )
    return loader.secrets[name]


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("!secret", _secret)


def load(path: Path) -> Any:
    """Load ``path``; ``!secret name`` reads from secrets.yaml beside it."""
    secrets_file = path.parent / "secrets.yaml"
    secrets: dict[str, Any] = {}
    if secrets_file.exists():
        try:
            loaded = yaml.safe_load(secrets_file.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ConfigError(
                [(str(secrets_file), 1, f"cannot be read: {err}")]
            ) from None
        if not isinstance(loaded, dict):
            raise ConfigError(
                [(str(secrets_file), 1, "must be a mapping of names to values")]
            )
        secrets = loaded
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError([(str(path), 1, f"not UTF-8 text: {err.reason}")]) from None
    try:
        loader = _Loader(text)
    except yaml.YAMLError as err:
        raise ConfigError([(str(path), 1, str(err))]) from None
    loader.secrets = secrets
    loader.secrets_file = secrets_file
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(
            [(str(path), line, str(err.problem or err.context))]
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError([(str(path), 1, str(err))]) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
