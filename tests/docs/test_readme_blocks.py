"""Every Python and shell block of README.md and docs/*.md runs.

Blocks run in order, the Python blocks of one file in one namespace (a README reads top to bottom), shell blocks in
bash, all in a temporary folder. A block that needs something this machine cannot have is preceded in the Markdown by
a visible-in-source directive ``<!-- test: ... -->`` (semicolon-separated):

* ``sub "OLD" "NEW"``: run the block with OLD replaced by NEW (e.g. fewer training steps), the README shows the real
  command;
* ``skip REASON``: not run (only for the test command itself and the install line that CI runs anyway).

Hub ids and files that cannot be downloaded here are replaced by local stand-ins of the same format (`STAND_INS`):
a tiny SigLIP checkpoint saved in the folder `google/siglip2-large-patch16-512` names, the authors' tiny parity
release for their weights (skipped when ../shared is absent), a short rendered clip for `match.mp4`, a SoccerSynth
frame's camera and line annotation for the SoccerNet files of docs/geometry.md.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS = [path for path in DOCS if "```python" in path.read_text() or "```bash" in path.read_text()]
BLOCK = re.compile(r"(?:^<!--\s*test:(?P<directive>[^\n]*?)-->[ \t]*\n)?^```(?P<lang>python|bash)\n(?P<code>.*?)^```",
                   re.S | re.M)
DIRECTIVE = re.compile(r'\s*(sub)\s+"((?:[^"\\]|\\.)*)"\s+"((?:[^"\\]|\\.)*)"\s*|\s*(skip)\s+(.+)')


def blocks(path: Path) -> list[tuple[str, str, list]]:
    """`(language, code, directives)` of every block of `path`."""
    found = []
    for match in BLOCK.finditer(path.read_text()):
        directives = []
        for part in (match.group("directive") or "").split(";"):
            if not part.strip():
                continue
            parsed = DIRECTIVE.fullmatch(part)
            assert parsed, f"{path.name}: malformed test directive {part!r}"
            if parsed.group(1):
                directives.append(("sub", parsed.group(2).replace('\\"', '"'), parsed.group(3).replace('\\"', '"')))
            else:
                directives.append(("skip", parsed.group(5).strip()))
        found.append((match.group("lang"), match.group("code"), directives))
    return found


def _tiny_siglip(folder: Path) -> None:
    from transformers import SiglipConfig, SiglipModel

    config = SiglipConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8},
        text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                     "vocab_size": 64, "max_position_embeddings": 64},
    )
    SiglipModel(config).save_pretrained(folder)


def _clip(path: Path) -> None:
    import av
    import numpy as np

    from soccermaster_hf.cli.encode import demo_clip

    frames = demo_clip(8, height=270, width=480)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 480, 270, "yuv420p"
        for frame in frames:
            image = np.ascontiguousarray(frame if frame.dtype == np.uint8 else (frame * 255).astype(np.uint8))
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> dict[str, str]:
    """Hub ids / paths in the docs -> local stand-ins of the same format."""
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset
    from soccermaster_hf.utils.shared import find_shared_dir

    root = tmp_path_factory.mktemp("stand_ins")
    _tiny_siglip(root / "siglip")
    _clip(root / "match.mp4")
    clip = generate_dataset(root / "synth", SynthConfig(clips=1, frames=1, seed=0, tracking="procedural"),
                            progress=False)[0]
    mapping = {"google/siglip2-large-patch16-512": str(root / "siglip"), "match.mp4": str(root / "match.mp4"),
               '"camera_000001.json"': repr(str(clip / "cameras" / "camera_000001.json")),  # a SoccerNet camera
               '"000001.json"': repr(str(clip / "calibration" / "000001.json"))}  # a SoccerNet line annotation
    shared = find_shared_dir()
    fixture = None if shared is None else shared / "fixtures" / "official_parity"
    if fixture is not None and (fixture / "backbone.safetensors").is_file():
        mapping["path/to/folder_with_backbone_pt"] = str(fixture)
    return mapping


def _apply(code: str, directives: list, stand_ins: dict[str, str]) -> str:
    for directive in directives:
        if directive[0] == "sub":
            assert directive[1] in code, f"test directive replaces {directive[1]!r}, which the block does not contain"
            code = code.replace(directive[1], directive[2])
    for name, local in sorted(stand_ins.items(), key=lambda item: -len(item[0])):
        code = code.replace(name, local)
    return code


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=[path.relative_to(ROOT).as_posix() for path in DOCS])
def test_every_block_runs(doc: Path, stand_ins, tmp_path, monkeypatch):
    found = blocks(doc)
    if "path/to/folder_with_backbone_pt" not in stand_ins and any(
            "path/to/folder_with_backbone_pt" in code for _, code, _ in found):
        pytest.skip("the authors' parity release (../shared) is needed for the conversion block")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    namespace: dict = {"__name__": "__readme__"}
    ran = 0
    for number, (lang, code, directives) in enumerate(found, 1):
        if any(directive[0] == "skip" for directive in directives):
            continue
        code = _apply(code, directives, stand_ins)
        where = f"{doc.name} block {number} ({lang}):\n{code}"
        if lang == "python":
            try:
                exec(compile(code, f"<{doc.name} block {number}>", "exec"), namespace)  # noqa: S102 - our own docs
            except Exception as error:  # pragma: no cover - the failure report
                raise AssertionError(f"{where}\nraised {type(error).__name__}: {error}") from error
        else:
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env,
                                    capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"{where}\nexit {result.returncode}\n{result.stdout[-3000:]}\n" \
                                           f"{result.stderr[-3000:]}"
        ran += 1
    assert ran, f"{doc.name}: every block is skipped"


def test_directives_parse_and_only_the_test_command_and_install_are_skipped():
    for doc in DOCS:
        for _, code, directives in blocks(doc):
            for directive in directives:
                if directive[0] == "skip":
                    assert "pytest" in code or "pip install" in code, (doc.name, code, directive)
    assert shlex.split('sub "a b" "c"')  # the directive syntax stays shell-like
