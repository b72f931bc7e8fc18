"""Argument parsing helpers: validated numeric types and options generated from argument dataclasses.

``add_dataclass_arguments(parser, Cls)`` turns each field of a dataclass into an option, so the defaults and help
texts live in the dataclass only (the Python API reads the same one). A field's ``metadata`` may hold:

``help``, ``flags`` (option strings, default ``--field-name``), ``positional`` (a positional argument),
``choices``, ``minimum`` / ``maximum`` / ``exclusive_minimum`` (numeric range, checked by the parser),
``metavar`` and ``cli=False`` (not an option). Booleans that default to True get a ``--no-<name>`` switch, those that
default to False a ``--<name>`` switch; ``list[...]`` fields take one or more values.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable
from typing import Any


def bounded(kind: type, minimum: float | None = None, maximum: float | None = None,
            exclusive_minimum: bool = False) -> Callable[[str], Any]:
    """An argparse `type` that parses `kind` (int or float) and checks the range (finite values only)."""

    def parse(text: str):
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got "
                                             f"{text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)):
            raise argparse.ArgumentTypeError(f"must be {'>' if exclusive_minimum else '>='} {minimum}, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


positive_int = bounded(int, 1)
non_negative_int = bounded(int, 0)
non_negative_float = bounded(float, 0.0)
positive_float = bounded(float, 0.0, exclusive_minimum=True)
unit_interval = bounded(float, 0.0, 1.0)


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type, exclude: tuple[str, ...] = ()) -> None:
    """Add one argument per field of the dataclass `cls` (see the module docstring)."""
    hints = typing.get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        meta = spec.metadata
        if spec.name in exclude or meta.get("cli", True) is False:
            continue
        annotation = _unwrap_optional(hints[spec.name])
        required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        default = None if required else (spec.default if spec.default is not dataclasses.MISSING
                                         else spec.default_factory())
        flags = list(meta.get("flags") or [f"--{spec.name.replace('_', '-')}"])
        help_text = meta.get("help", "")
        kwargs: dict[str, Any] = {}
        if annotation is bool:
            if default:
                flags = [f"--no-{spec.name.replace('_', '-')}"]
                parser.add_argument(*flags, dest=spec.name, action="store_false", help=help_text)
            else:
                parser.add_argument(*flags, dest=spec.name, action="store_true", help=help_text)
            continue
        element = annotation
        if typing.get_origin(annotation) is list:
            element = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
            kwargs["nargs"] = "+"
        if element in (int, float):
            kwargs["type"] = bounded(element, meta.get("minimum"), meta.get("maximum"),
                                     meta.get("exclusive_minimum", False))
        elif element is not str:
            kwargs["type"] = element
        if "choices" in meta:
            kwargs["choices"] = list(meta["choices"])
        if "metavar" in meta:
            kwargs["metavar"] = meta["metavar"]
        if not required and default not in (None, [], ()):
            help_text = f"{help_text} (default: {default})" if help_text else f"default: {default}"
        kwargs["help"] = help_text
        if meta.get("positional"):
            if not required:  # an optional positional (e.g. `analyze [INPUT] --demo`)
                kwargs["nargs"] = "*" if kwargs.get("nargs") == "+" else "?"
                kwargs["default"] = default
            parser.add_argument(spec.name, **kwargs)
            continue
        if required:
            kwargs["required"] = True
        else:
            kwargs["default"] = default
        parser.add_argument(*flags, dest=spec.name, **kwargs)


def dataclass_from_args(cls: type, args: argparse.Namespace, **overrides: Any) -> Any:
    """Build `cls` from the parsed options of :func:`add_dataclass_arguments` (missing ones keep their default)."""
    values = {spec.name: getattr(args, spec.name) for spec in dataclasses.fields(cls) if hasattr(args, spec.name)}
    values.update(overrides)
    return cls(**values)


__all__ = ["add_dataclass_arguments", "bounded", "dataclass_from_args", "non_negative_float", "non_negative_int",
           "positive_float", "positive_int", "unit_interval"]
