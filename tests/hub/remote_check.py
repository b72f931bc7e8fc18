"""Run as a script: load a Hub folder with transformers only (``soccermaster_hf`` cannot be imported) and run it.

``python remote_check.py FOLDER`` loads every Auto class in the folder's ``auto_map`` with ``trust_remote_code=True``,
the image / video processors, ``AutoProcessor`` and (when the folder serves detection) ``pipeline("object-detection")``,
runs each model once and prints one JSON line ``RESULT {...}`` with what it found. Used by ``tests/hub``.
"""

import runpy
import sys
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("block_soccermaster.py")))

import inspect  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402

# which input each Auto class is run on
VIDEO_INPUT = {"AutoModel", "AutoModelForVideoClassification", "AutoModelForPreTraining"}


def _tensors(output) -> list:
    if isinstance(output, torch.Tensor):
        return [output] if output.is_floating_point() else []
    values = output.values() if hasattr(output, "values") else output if isinstance(output, (list, tuple)) else []
    return [tensor for value in values for tensor in _tensors(value)]


def _finite(output) -> bool:
    tensors = _tensors(output)
    return bool(tensors) and all(bool(torch.isfinite(t).all()) for t in tensors)


def _input_name(model) -> str:
    parameters = inspect.signature(model.forward).parameters
    for name in (model.main_input_name, "pixel_values", "spatial_pixel_values"):
        if name in parameters:
            return name
    raise SystemExit(f"{type(model).__name__}.forward takes none of the pixel inputs: {list(parameters)}")


def main(folder: str) -> None:
    try:
        import soccermaster_hf  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the import blocker does not work")
    with open(f"{folder}/config.json") as handle:
        config = json.load(handle)
    result = {"models": {}, "auto_map": config.get("auto_map", {})}
    image_processor = transformers.AutoImageProcessor.from_pretrained(folder, trust_remote_code=True)
    video_processor = transformers.AutoVideoProcessor.from_pretrained(folder, trust_remote_code=True)
    processor = transformers.AutoProcessor.from_pretrained(folder, trust_remote_code=True)
    result["image_processor"] = type(image_processor).__name__
    result["video_processor"] = type(video_processor).__name__
    result["processor"] = type(processor).__name__
    result["image_size"] = dict(image_processor.size)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (video_processor.num_frames, 48, 80, 3), dtype=np.uint8)
    image = image_processor(frames[0], return_tensors="pt")["pixel_values"]
    video = video_processor(frames, sampling="all")["pixel_values"]
    result["image_shape"] = list(image.shape)
    for auto_class in result["auto_map"]:
        if auto_class == "AutoConfig":
            continue
        model = getattr(transformers, auto_class).from_pretrained(folder, trust_remote_code=True).eval()
        with torch.no_grad():
            if hasattr(model, "get_video_features"):  # the video-text model: its forward wants captions too
                output = [model.get_video_features(pixel_values=video)]
            else:
                output = model(**{_input_name(model): video if auto_class in VIDEO_INPUT else image})
        result["models"][auto_class] = {"class": type(model).__name__, "module": type(model).__module__,
                                        "finite": _finite(output)}
    if "AutoModelForObjectDetection" in result["auto_map"]:
        detector = transformers.pipeline("object-detection", model=folder, trust_remote_code=True)
        detections = detector(Image.fromarray(frames[0]), threshold=0.0)
        result["pipeline"] = {"model": type(detector.model).__name__, "detections": len(detections),
                              "keys": sorted(detections[0]) if detections else []}
    result["soccermaster_hf_imported"] = any(name.startswith("soccermaster_hf") for name in sys.modules)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
