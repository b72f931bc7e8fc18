"""Entry point of the ``soccermaster`` command.

Every sub-command lives in its own module of this package and exposes two functions::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Only the chosen command's module is imported, so ``soccermaster --help`` stays fast and a broken optional dependency of
one command does not break the others.

Errors are handled here, in one place: a user error (a missing or unreadable file, a malformed JSON / config /
safetensors file, a refused output folder, Ctrl-C...) prints one line ``error: <file>: <problem>`` to stderr and exits
with 1, without a traceback. ``soccermaster --debug COMMAND ...`` (or ``SOCCERMASTER_DEBUG=1``) re-raises instead.
Bad arguments are argparse errors (exit code 2).
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    "eval-commentary": ("soccermaster_hf.cli.eval_commentary",
                        "Score generated commentary (BLEU, METEOR, ROUGE-L, CIDEr) exactly as MatchTime does."),
    "train-commentary": ("soccermaster_hf.cli.train_commentary",
                         "Train commentary generation (Q-Former prefix + frozen / LoRA causal LM) on captioned clips."),
    "train-tracking": ("soccermaster_hf.cli.train_tracking",
                       "Train the MOTIP ID decoder (SoccerMasterForMultiObjectTracking) on tracked clips (resumable)."),
    "train-reid": ("soccermaster_hf.cli.train_reid",
                   "Train the athlete re-identification network that tracklet linking uses (resumable)."),
    "train-events": ("soccermaster_hf.cli.train_events",
                     "Train the event head on a frozen backbone from cached 1-fps clip features (resumable)."),
    "dataset": ("soccermaster_hf.cli.dataset", "Build Hub-ready 🤗 datasets (sharded Parquet + card) from SoccerFactory sources."),
}
DEBUG_ENV = "SOCCERMASTER_DEBUG"


def _chosen_command(argv: Sequence[str]) -> str | None:
    for item in argv:
        if item in COMMANDS:
            return item
        if not item.startswith("-"):
            return None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the command it names gets its options (the other modules are not imported)."""
    chosen = _chosen_command(argv) if argv is not None else None
    parser = argparse.ArgumentParser(prog="soccermaster", description="SoccerMaster: a vision foundation model for soccer.")
    parser.add_argument("--debug", action="store_true", help=f"Show tracebacks (also: {DEBUG_ENV}=1).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        if argv is not None and name != chosen:
            continue
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


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception types reported as one line (user errors), not as tracebacks."""
    # RecursionError / MemoryError / OverflowError: input nested too deeply (JSON), sizes too large to allocate,
    # numbers too large for a float; reported, not a traceback (the readers that can name the file do so themselves)
    errors: list[type[BaseException]] = [OSError, ValueError, EOFError, RecursionError, MemoryError, OverflowError]
    try:
        from safetensors import SafetensorError

        errors.append(SafetensorError)
    except ImportError:  # pragma: no cover - safetensors is a dependency
        pass
    try:  # a transformers config's validators (strict dataclasses) wrap our ValueErrors in this
        from huggingface_hub.errors import StrictDataclassError

        errors.append(StrictDataclassError)
    except ImportError:  # pragma: no cover - older huggingface_hub
        pass
    cv2 = sys.modules.get("cv2")
    if cv2 is not None and isinstance(getattr(cv2, "error", None), type):
        errors.append(cv2.error)
    return tuple(errors)


def format_error(error: BaseException) -> str:
    from ..utils.errors import one_line

    return f"error: {one_line(error, limit=1000)}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2, message already printed)
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"error: command {args.command!r} is not available: {args._missing}", file=sys.stderr)
        return 2
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        module = importlib.import_module(args._module)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print("error: interrupted (Ctrl-C); outputs written so far are complete files, a rerun resumes or "
              "rewrites them.", file=sys.stderr)
        return 1
    except user_errors() as error:
        if debug:
            raise
        print(format_error(error), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
