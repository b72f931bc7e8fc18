"""Entry point of the ``soccermaster`` command.

Every sub-command lives in its own module of this package and exposes two functions::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Modules are imported lazily, so ``soccermaster --help`` stays fast and a broken optional dependency of one command
does not break the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "encode": ("soccermaster_hf.cli.encode", "Encode an image, a video or a generated demo clip and print shapes/timings."),
    "convert": ("soccermaster_hf.cli.convert", "Convert the authors' released checkpoint files to a transformers folder."),
    "init-from-siglip": (
        "soccermaster_hf.cli.init_from_siglip",
        "Initialise a SoccerMaster backbone from a SigLIP / SigLIP2 vision checkpoint.",
    ),
    "calibrate": ("soccermaster_hf.cli.calibrate", "Calibrate cameras from SoccerNet-format pitch annotations."),
    "synth": ("soccermaster_hf.cli.synth", "Render SoccerSynth clips with ground truth in SoccerNet formats."),
    "analyze": ("soccermaster_hf.cli.analyze", "Analyse a clip: athletes, identities, camera, minimap and events."),
    "train": ("soccermaster_hf.cli.train", "Multi-task pre-training on SoccerNet-GSR-format clips (resumable)."),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soccermaster", description="SoccerMaster: a vision foundation model for soccer.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and error.name.startswith("soccermaster_hf.cli"):
                # The command's module is not part of this installation (yet): keep the others usable.
                sub.set_defaults(_missing=str(error))
                continue
            raise
        module.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        parser.error(f"command {args.command!r} is not available: {args._missing}")
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
