"""Task heads on tiny configs: shapes, losses, backward, save/load, batch equivalence, overfitting, bad labels."""

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import pipeline

from soccermaster_hf import (
    ROLE_NAMES,
    TEAM_NAMES,
    SoccerMasterForObjectDetection,
    SoccerMasterForPitchRegistration,
    SoccerMasterForPreTraining,
    SoccerMasterForVideoClassification,
    SoccerMasterImageProcessor,
    SoccerMasterModel,
)
from soccermaster_hf.modeling import retrieval_accuracy
from soccermaster_hf.modeling.loss_soccermaster import jersey_targets, prepare_detection_labels
from soccermaster_hf.training import clip_gradients_per_module, optimizer_parameter_groups

from .tester import DETECTION, TEXT, VISION, detection_labels, tiny_config


def train(model, step_fn, steps: int, lr: float) -> list[float]:
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        loss = step_fn()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# ------------------------------------------------------------------ detection


def test_detection_shapes_loss_and_backward():
    model = SoccerMasterForObjectDetection(tiny_config())
    assert model.config.id2label == {0: "person"}
    images = torch.randn(2, 3, 32, 32)
    out = model(images, labels=detection_labels(2))
    assert out.logits.shape == (2, 6, 1) and out.pred_boxes.shape == (2, 6, 4)
    assert out.role_logits.shape == (2, 6, 6) and out.jersey_logits.shape == (2, 6, 101)
    assert out.jersey_tens_logits.shape == (2, 6, 10) and out.jersey_units_logits.shape == (2, 6, 11)
    assert out.team_logits.shape == (2, 6, 3) and out.last_hidden_state.shape == (2, 6, 32)
    assert {"loss_ce", "loss_bbox", "loss_giou", "loss_role", "loss_jersey", "loss_team"} <= set(out.loss_dict)
    out.loss.backward()
    assert model.detection_head.team_embed[0].weight.grad is not None
    assert model.vision_model.encoder.layers[0].mlp.fc1.weight.grad is not None
    assert model.vision_model.encoder.layers[2].mlp.fc1.weight.grad is None  # image mode: spatial layers only


def test_detection_clip_shapes_and_aux_losses():
    model = SoccerMasterForObjectDetection(tiny_config(detection_config={**DETECTION, "decoder_layers": 2,
                                                                         "encoder_layers": 1,
                                                                         "num_feature_levels": 2}))
    clip = torch.randn(1, 2, 3, 32, 32)
    out = model(clip, labels=[detection_labels(2)])  # per-clip list of per-frame dicts
    assert out.logits.shape == (1, 2, 6, 1)
    assert len(out.auxiliary_outputs) == 1 and out.auxiliary_outputs[0]["pred_boxes"].shape == (1, 2, 6, 4)
    assert "loss_ce_0" in out.loss_dict
    out.loss.backward()


def test_detection_batch_equivalence_and_round_trip(tmp_path):
    model = SoccerMasterForObjectDetection(tiny_config()).eval()
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        batched = model(images)
        alone = model(images[1:2])
    torch.testing.assert_close(alone.pred_boxes[0], batched.pred_boxes[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alone.role_logits[0], batched.role_logits[1], atol=1e-5, rtol=1e-5)
    model.save_pretrained(tmp_path)
    loaded = SoccerMasterForObjectDetection.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(images).logits, batched.logits)


def test_detection_overfits_one_batch():
    torch.manual_seed(0)
    model = SoccerMasterForObjectDetection(tiny_config()).train()
    images = torch.randn(2, 3, 32, 32)
    labels = detection_labels(2)
    losses = train(model, lambda: model(images, labels=labels).loss, steps=150, lr=2e-3)
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])


def test_backbone_checkpoint_loads_into_the_detection_model(tmp_path):
    from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel

    backbone = SoccerMasterVisionModel(SoccerMasterVisionConfig(**VISION))
    backbone.save_pretrained(tmp_path)
    model = SoccerMasterForObjectDetection.from_pretrained(tmp_path, config=tiny_config())
    torch.testing.assert_close(model.vision_model.encoder.layers[0].mlp.fc1.weight,
                               backbone.encoder.layers[0].mlp.fc1.weight)


def test_jersey_targets_and_digit_split():
    assert jersey_targets(7) == (7, 9, 7)          # one digit: units only, tens = none
    assert jersey_targets("23") == (23, 1, 3)      # "2" -> index 1
    assert jersey_targets(None) == (100, 9, 10)
    assert jersey_targets(-1) == (100, 9, 10)
    assert jersey_targets(10, legibility=0.3) == (100, 9, 10)  # not legible
    with pytest.raises(ValueError, match="outside 0-99"):
        jersey_targets(120)
    with pytest.raises(ValueError, match="not a number"):
        jersey_targets("ab")


def test_bad_detection_labels():
    device = torch.device("cpu")
    # partly outside: clipped; fully outside and ball (no ball class): dropped and counted
    labels = [{"class_labels": [0, 0, 1], "boxes": [[0.95, 0.5, 0.2, 0.2], [1.5, 1.5, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1]]},
              {"boxes": []}]
    targets, dropped = prepare_detection_labels(labels, 2, 1, device)
    assert dropped == 2 and targets[0]["boxes"].shape == (1, 4) and targets[1]["boxes"].shape == (0, 4)
    torch.testing.assert_close(targets[0]["boxes"][0], torch.tensor([0.925, 0.5, 0.15, 0.2]))
    with pytest.raises(ValueError, match=r"labels\[0\]\['boxes'\] contains NaN"):
        prepare_detection_labels([{"boxes": [[float("nan"), 0.5, 0.1, 0.1]]}], 1, 1, device)
    with pytest.raises(ValueError, match="unknown role 'coach'"):
        prepare_detection_labels([{"boxes": [[0.5, 0.5, 0.1, 0.1]], "roles": ["coach"]}], 1, 1, device)
    with pytest.raises(ValueError, match="unknown team"):
        prepare_detection_labels([{"boxes": [[0.5, 0.5, 0.1, 0.1]], "teams": ["home"]}], 1, 1, device)
    with pytest.raises(ValueError, match="2 label dicts for 1"):
        prepare_detection_labels([{}, {}], 1, 1, device)
    model = SoccerMasterForObjectDetection(tiny_config())
    out = model(torch.randn(2, 3, 32, 32), labels=[{"boxes": []}, {"boxes": []}])  # empty frames: class loss only
    assert torch.isfinite(out.loss) and out.loss_dict["loss_bbox"] == 0


def test_object_detection_pipeline_and_post_processing():
    model = SoccerMasterForObjectDetection(tiny_config()).eval()
    with torch.no_grad():
        for linear in model.detection_head.class_embed:
            linear.bias.fill_(5.0)  # every query confident
    processor = SoccerMasterImageProcessor(size={"height": 32, "width": 32})
    assert list(processor.role_names) == ROLE_NAMES and list(processor.team_names) == TEAM_NAMES
    detector = pipeline("object-detection", model=model, image_processor=processor)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (60, 100, 3), dtype=np.uint8))
    detections = detector(image, threshold=0.5)
    assert len(detections) == 6
    for detection in detections:
        assert detection["label"] == "person"
        box = detection["box"]
        assert 0 <= box["xmin"] <= box["xmax"] <= 100 and 0 <= box["ymin"] <= box["ymax"] <= 60
    with torch.no_grad():
        out = model(processor(image, return_tensors="pt")["pixel_values"])
    result = processor.post_process_object_detection(out, threshold=0.5, target_sizes=[(60, 100)])[0]
    assert result["boxes"].shape == (6, 4) and len(result["roles"]) == 6 and len(result["jerseys"]) == 6
    assert all(role in ROLE_NAMES for role in result["roles"]) and all(t in TEAM_NAMES for t in result["teams"])
    # boxes map back through the resize: a box covering the processed image covers the original
    out.pred_boxes[:] = torch.tensor([0.5, 0.5, 1.0, 1.0])
    full = processor.post_process_object_detection(out, threshold=0.5, target_sizes=[(60, 100)])[0]["boxes"][0]
    torch.testing.assert_close(full, torch.tensor([0.0, 0.0, 100.0, 60.0]))


# ------------------------------------------------------------------ pitch


def pitch_label():
    keypoints = torch.rand(57, 2) * 0.8 + 0.1
    visibility = torch.zeros(57, dtype=torch.bool)
    visibility[:8] = True
    lines = torch.rand(23, 2, 2) * 0.8 + 0.1
    line_visibility = torch.zeros(23, dtype=torch.bool)
    line_visibility[:4] = True
    return {"keypoints": keypoints, "keypoint_visibility": visibility, "lines": lines, "line_visibility": line_visibility}


def test_pitch_shapes_loss_round_trip_and_batch_equivalence(tmp_path):
    model = SoccerMasterForPitchRegistration(tiny_config())
    out = model(torch.randn(2, 2, 3, 32, 32), labels=[pitch_label() for _ in range(4)])
    assert out.keypoint_heatmaps.shape == (2, 2, 58, 32, 32)  # 8x the 4x4 patch grid
    assert out.line_heatmaps.shape == (2, 2, 24, 32, 32)
    torch.testing.assert_close(out.keypoint_heatmaps.sum(2), torch.ones(2, 2, 32, 32))
    out.loss.backward()
    assert set(out.loss_dict) == {"loss_keypoints", "loss_lines"}
    model.eval()
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        batched = model(images).keypoint_heatmaps
        alone = model(images[2:]).keypoint_heatmaps
    torch.testing.assert_close(alone[0], batched[2], atol=1e-5, rtol=1e-5)
    model.save_pretrained(tmp_path)
    loaded = SoccerMasterForPitchRegistration.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(images).line_heatmaps, model(images).line_heatmaps)
    assert model.keypoint_names[0] and len(model.line_names) == 23


def test_pitch_overfits_one_batch():
    torch.manual_seed(0)
    model = SoccerMasterForPitchRegistration(tiny_config()).train()
    images = torch.randn(2, 3, 32, 32)
    labels = [pitch_label(), pitch_label()]
    losses = train(model, lambda: model(images, labels=labels).loss, steps=150, lr=3e-3)
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])


def test_keypoint_post_processing_on_known_heatmaps():
    from soccermaster_hf.modeling.modeling_soccermaster_pitch import gaussian_heatmaps

    height = width = 16  # heatmaps of a 32x32 processed image (stride 2)
    keypoint_maps = torch.zeros(1, 58, height, width)
    keypoint_maps[0, 57] = 1.0
    keypoint_maps[0, 3, 12, 4] = 0.9       # keypoint 3 at heatmap (x=4, y=12)
    keypoint_maps[0, 7, 2, 2] = 0.05       # below the threshold
    line_maps = torch.zeros(1, 24, height, width)
    endpoints = torch.tensor([[[[3.0, 3.0], [12.0, 5.0]]]])
    line_maps[0, 5] = gaussian_heatmaps(endpoints, torch.ones(1, 1, 2, dtype=torch.bool), height, width, 1.0)[0, 0]
    outputs = {"keypoint_heatmaps": keypoint_maps, "line_heatmaps": line_maps}
    processor = SoccerMasterImageProcessor(size={"height": 32, "width": 32})
    model_names = SoccerMasterForPitchRegistration(tiny_config())
    result = processor.post_process_keypoints(outputs, target_sizes=[(320, 640)], threshold=0.1,
                                              keypoint_names=model_names.keypoint_names,
                                              line_names=model_names.line_names)[0]
    assert list(result["keypoints"]) == [model_names.keypoint_names[3]]
    x, y, score = result["keypoints"][model_names.keypoint_names[3]]
    # heatmap pixel (4, 12) -> processed (9, 25) -> original x 9 * 20, y 25 * 10
    assert (x, y) == pytest.approx((180.0, 250.0)) and score == pytest.approx(0.9)
    assert list(result["lines"]) == [model_names.line_names[5]]
    ends = sorted((round(px), round(py)) for px, py, _ in result["lines"][model_names.line_names[5]])
    assert ends == [(140, 70), (500, 110)]


@pytest.mark.parametrize("stages, side", [([32, 16], 16), ([32, 16, 16], 32), ([32, 16, 16, 16], 64)])
def test_heatmap_resolution_is_a_config_choice(tmp_path, stages, side):
    """2, 3 or 4 PixelShuffle stages: heatmaps at a quarter, half or the full input resolution, trained, saved and
    decoded to the same original-pixel positions."""
    from soccermaster_hf.modeling.modeling_soccermaster_pitch import gaussian_heatmaps

    torch.manual_seed(0)
    model = SoccerMasterForPitchRegistration(tiny_config(pitch_config={"stage_channels": stages}))
    assert model.config.pitch_config.upsampling_factor == side // 4  # 4x4 patch grid
    out = model(torch.randn(2, 3, 32, 32), labels=[pitch_label(), pitch_label()])
    assert out.keypoint_heatmaps.shape == (2, 58, side, side) and out.line_heatmaps.shape == (2, 24, side, side)
    assert torch.isfinite(out.loss)
    out.loss.backward()
    assert f"stage{len(stages)}.0.weight" in dict(model.keypoint_head.named_parameters())
    assert not hasattr(model.keypoint_head, f"stage{len(stages) + 1}")
    model.save_pretrained(tmp_path)
    loaded = SoccerMasterForPitchRegistration.from_pretrained(tmp_path)
    assert len(loaded.config.pitch_config.stage_channels) == len(stages)
    # a keypoint at original pixel (200, 120) of a 640x320 frame, drawn at this resolution, decodes back to it
    centre = torch.tensor([[[[200 / 640 * side - 0.5, 120 / 320 * side - 0.5]]]])
    keypoint_maps = torch.zeros(1, 58, side, side)
    keypoint_maps[0, 5] = gaussian_heatmaps(centre, torch.ones(1, 1, 1, dtype=torch.bool), side, side,
                                            side / 16)[0, 0]
    keypoint_maps[0, 57] = 1 - keypoint_maps[0, 5]
    processor = SoccerMasterImageProcessor(size={"height": 32, "width": 32})
    result = processor.post_process_keypoints({"keypoint_heatmaps": keypoint_maps}, target_sizes=[(320, 640)])[0]
    x, y, _ = result["keypoints"][5]
    assert abs(x - 200) < 0.05 * 640 / side and abs(y - 120) < 0.05 * 320 / side


@pytest.mark.parametrize("stages", [[32], [32, 16, 16, 16, 16], [32, 18, 16], [32, 0, 16]])
def test_bad_heatmap_stage_counts_are_refused(stages):
    from huggingface_hub.errors import StrictDataclassClassValidationError

    with pytest.raises(StrictDataclassClassValidationError, match="stage_channels"):
        tiny_config(pitch_config={"stage_channels": stages})


def test_bad_pitch_labels():
    model = SoccerMasterForPitchRegistration(tiny_config())
    bad = pitch_label()
    bad["keypoints"][0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        model(torch.randn(1, 3, 32, 32), labels=[bad])
    with pytest.raises(ValueError, match="must have shape"):
        model(torch.randn(1, 3, 32, 32), labels=[{"keypoints": torch.zeros(10, 2)}])
    invalid = pitch_label()
    invalid["valid"] = False  # the whole frame is masked (e.g. no camera)
    out = model(torch.randn(1, 3, 32, 32), labels=[invalid])
    assert out.loss.item() == 0.0


# ------------------------------------------------------------------ events


def test_event_head(tmp_path):
    model = SoccerMasterForVideoClassification(tiny_config())
    assert len(model.config.id2label) == 23 and model.config.num_frames == 2
    clips = torch.randn(2, 2, 3, 32, 32)
    out = model(clips, labels=torch.tensor([3, 16]))
    assert out.logits.shape == (2, 23)
    out.loss.backward()
    model.eval()
    with torch.no_grad():
        batched = model(torch.cat([clips, clips.flip(0)])).logits
        alone = model(clips[:1]).logits
    torch.testing.assert_close(alone[0], batched[0], atol=1e-5, rtol=1e-5)
    model.save_pretrained(tmp_path)
    loaded = SoccerMasterForVideoClassification.from_pretrained(tmp_path).eval()
    assert loaded.config.id2label[16] == "goal"
    with pytest.raises(ValueError, match="event labels"):
        model(clips, labels=torch.tensor([0, 99]))


def test_event_head_overfits_and_custom_labels():
    torch.manual_seed(0)
    model = SoccerMasterForVideoClassification(tiny_config(id2label={0: "goal", 1: "corner", 2: "throw in"}))
    assert model.event_head.classifier.out_features == 3
    clips = torch.randn(3, 2, 3, 32, 32)
    labels = torch.tensor([0, 1, 2])
    losses = train(model, lambda: model(clips, labels=labels).loss, steps=60, lr=3e-3)
    assert losses[-1] < 0.1 * losses[0]


def test_video_classification_pipeline(tmp_path):
    import av

    path = tmp_path / "clip.mp4"
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for index in range(10):
        frame = np.full((48, 64, 3), index * 20, np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    model = SoccerMasterForVideoClassification(tiny_config()).eval()
    classifier = pipeline("video-classification", model=model,
                          image_processor=SoccerMasterImageProcessor(size={"height": 32, "width": 32}))
    predictions = classifier(str(path), top_k=3)
    assert len(predictions) == 3 and predictions[0]["label"] in model.config.id2label.values()
    assert predictions[0]["score"] >= predictions[1]["score"]


# ------------------------------------------------------------------ alignment and pre-training


def test_alignment_model_with_text_encoder(tmp_path):
    config = tiny_config(text_encoder_config=TEXT)
    model = SoccerMasterModel(config)
    assert not any(p.requires_grad for p in model.text_model.parameters())  # frozen by default
    clips = torch.randn(3, 2, 3, 32, 32)
    input_ids = torch.randint(0, 64, (3, 16))
    out = model(clips, input_ids=input_ids, return_loss=True, keywords=["substitution", "substitution", "goal"])
    assert out.logits_per_video.shape == (3, 3) and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.logit_scale.grad is not None
    torch.testing.assert_close(model.logit_scale.detach(), torch.tensor(float(np.log(10))))
    metrics = retrieval_accuracy(out.logits_per_video.detach())
    assert set(metrics) == {"top1", "top5"} and metrics["top5"] == 1.0
    model.save_pretrained(tmp_path)
    reloaded = SoccerMasterModel.from_pretrained(tmp_path).eval()
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(clips, input_ids=input_ids).logits_per_video,
                                   model(clips, input_ids=input_ids).logits_per_video)


def test_alignment_overfits():
    torch.manual_seed(0)
    model = SoccerMasterModel(tiny_config())
    clips = torch.randn(4, 2, 3, 32, 32)
    text = torch.randn(4, 32)
    losses = train(model, lambda: model(clips, text_embeds=text, return_loss=True).loss, steps=80, lr=1e-2)
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])


def test_pretraining_model_losses_groups_and_clipping():
    config = tiny_config()
    model = SoccerMasterForPreTraining(config)
    spatial = torch.randn(1, 2, 3, 32, 32)
    semantic = torch.randn(2, 2, 3, 32, 32)
    spatial_out = model(spatial_pixel_values=spatial, detection_labels=detection_labels(2),
                        pitch_labels=[pitch_label(), pitch_label()])
    assert {"loss_detection", "loss_keypoints", "loss_lines"} <= set(spatial_out.loss_dict)
    spatial_out.loss.backward()
    semantic_out = model(semantic_pixel_values=semantic, event_labels=torch.tensor([1, -1]),
                         text_embeds=torch.stack([torch.randn(32), torch.zeros(32)]))
    assert {"loss_events", "loss_alignment"} == set(semantic_out.loss_dict)
    expected = config.event_config.loss_coefficient * semantic_out.loss_dict["loss_events"] + \
        config.alignment_loss_coefficient * semantic_out.loss_dict["loss_alignment"]
    torch.testing.assert_close(semantic_out.loss, expected)
    semantic_out.loss.backward()
    norms = clip_gradients_per_module(model.head_modules(), max_norm=0.1)
    assert set(norms) >= {"backbone", "detection", "keypoints", "lines", "events"}
    for module in model.head_modules().values():
        total = torch.norm(torch.stack([p.grad.norm() for p in module.parameters() if p.grad is not None]))
        assert total <= 0.1 + 1e-4
    groups = {group["name"]: group for group in optimizer_parameter_groups(model, base_lr=5e-5)}
    assert groups["lines_head"]["lr"] == pytest.approx(1e-3)
    assert groups["event_classifier"]["lr"] == pytest.approx(2e-4)
    assert groups["backbone"]["lr"] == pytest.approx(5e-5)
    assert groups["backbone_temporal"]["lr"] == pytest.approx(1e-4)
    assert groups["temporal_embedding"]["weight_decay"] == 0.0
    counted = sum(len(g["params"]) for g in groups.values())
    assert counted == sum(1 for p in model.parameters() if p.requires_grad)


def test_pitch_targets_and_mse_equal_the_direct_formulas():
    """The in-place separable targets and the per-channel MSE (the training step's fast path) against the plain
    formulas: an exponential per pixel, the max over a line's endpoints, and the mask weighting every pixel; frames
    without labels, with a frame-wide invalid flag and with masked channels included."""
    from soccermaster_hf.modeling.modeling_soccermaster_pitch import masked_heatmap_mse, pitch_targets

    torch.manual_seed(0)
    labels = [pitch_label(), {}, {**pitch_label(), "valid": False},
              {**pitch_label(), "keypoint_mask": (torch.arange(57) % 3 > 0).float()}, {"lines": torch.rand(23, 2, 2)}]
    height, width, sigma = 20, 24, 2.0
    targets = pitch_targets(labels, len(labels), 57, 23, height, width, sigma, "cpu")
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")

    def blob(point):
        x, y = float(point[0]) * width - 0.5, float(point[1]) * height - 0.5
        return torch.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))

    for index, label in enumerate(labels):
        expected_keypoints = torch.zeros(58, height, width)
        expected_lines = torch.zeros(24, height, width)
        if label.get("valid", True) and label.get("keypoints") is not None:
            for channel in torch.nonzero(label["keypoint_visibility"]).flatten().tolist():
                expected_keypoints[channel] = blob(label["keypoints"][channel])
            expected_keypoints[57] = (1 - expected_keypoints[:57].sum(0)).clamp(min=0)
        if label.get("valid", True) and label.get("lines") is not None:
            visible = label.get("line_visibility", torch.ones(23, dtype=torch.bool))
            for channel in torch.nonzero(visible).flatten().tolist():
                ends = label["lines"][channel]
                expected_lines[channel] = torch.maximum(blob(ends[0]), blob(ends[1]))
            expected_lines[23] = (1 - expected_lines[:23].amax(0)).clamp(min=0)
        torch.testing.assert_close(targets["keypoints"][index], expected_keypoints, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(targets["lines"][index], expected_lines, atol=1e-6, rtol=1e-5)
    assert targets["has_keypoints"].tolist() == [True, False, False, True, False]
    assert targets["has_lines"].tolist() == [True, False, False, True, True]
    prediction = torch.rand(5, 58, height, width, requires_grad=True)
    loss = masked_heatmap_mse(prediction, targets["keypoints"], targets["keypoint_mask"])
    weights = targets["keypoint_mask"][..., None, None]
    reference = (((prediction - targets["keypoints"]) ** 2) * weights).sum() / (weights.sum() * height * width)
    torch.testing.assert_close(loss, reference, rtol=1e-6, atol=0)
    grad, = torch.autograd.grad(loss, prediction)
    reference_grad, = torch.autograd.grad(reference, prediction)
    torch.testing.assert_close(grad, reference_grad, rtol=1e-6, atol=1e-12)
    nothing = torch.zeros(5, 58)
    assert masked_heatmap_mse(prediction, targets["keypoints"], nothing).item() == 0.0


def test_mixed_precision_keeps_the_detection_head_in_float32():
    """Under bfloat16 autocast (`soccermaster train --mixed-precision bf16`) the backbone and the pitch heads run in
    bfloat16 and the detection head and its loss in float32, as in inference; without autocast nothing changes."""
    torch.manual_seed(0)
    model = SoccerMasterForPreTraining(tiny_config())
    spatial = torch.randn(1, 2, 3, 32, 32)
    inputs = {"spatial_pixel_values": spatial, "detection_labels": detection_labels(2),
              "pitch_labels": [pitch_label(), pitch_label()]}
    full = model(**inputs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = model(**inputs)
    assert mixed.detection.logits.dtype == torch.float32 and mixed.detection.pred_boxes.dtype == torch.float32
    assert mixed.detection.loss.dtype == torch.float32
    assert mixed.pitch.keypoint_heatmaps.dtype == torch.bfloat16
    assert full.detection.logits.dtype == torch.float32 and full.pitch.keypoint_heatmaps.dtype == torch.float32
    # the detection head sees the bf16 backbone's features: close to, not equal to, the float32 step
    torch.testing.assert_close(mixed.loss_dict["loss_detection"], full.loss_dict["loss_detection"], rtol=0.05, atol=0)
    mixed.loss.backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())


def test_spatial_heads_run_only_the_heads_asked_for_with_the_same_gradients():
    """Heads-only fine-tuning (`soccermaster train --train-heads detection`) runs only the detection head on the
    spatial batch: with the backbone and the pitch heads frozen, the trained head's gradients are those of the full
    step, and the frozen heads are not run at all."""
    from soccermaster_hf.training.lora import freeze_all_but_heads

    torch.manual_seed(0)
    model = SoccerMasterForPreTraining(tiny_config()).eval()  # eval: no dropout, the two steps see the same graph
    freeze_all_but_heads(model, ["detection"])
    calls = []
    for name in ("keypoint_head", "line_head", "detection_head"):
        getattr(model, name).register_forward_hook(lambda *_, name=name: calls.append(name))
    inputs = {"spatial_pixel_values": torch.randn(1, 2, 3, 32, 32), "detection_labels": detection_labels(2),
              "pitch_labels": [pitch_label(), pitch_label()]}
    gradients = []
    for heads in (None, ["detection"]):
        calls.clear()
        model.zero_grad(set_to_none=True)
        outputs = model(**inputs, spatial_heads=heads)
        outputs.loss_dict["loss_detection"].backward()
        gradients.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
        assert calls == (["detection_head", "keypoint_head", "line_head"] if heads is None else ["detection_head"])
    assert gradients[0].keys() == gradients[1].keys() and all(n.startswith("detection_head.") for n in gradients[1])
    for name in gradients[0]:
        torch.testing.assert_close(gradients[1][name], gradients[0][name], rtol=0, atol=0)
    assert outputs.pitch is None and "loss_keypoints" not in outputs.loss_dict
    assert outputs.loss == model.config.detection_loss_coefficient * outputs.loss_dict["loss_detection"]
    # the pitch heads alone; a single name; none (the spatial batch is skipped); unknown names are refused
    calls.clear()
    pitch_only = model(**inputs, spatial_heads="lines")
    assert calls == ["keypoint_head", "line_head"] and pitch_only.detection is None and pitch_only.pitch is not None
    calls.clear()
    assert model(**inputs, spatial_heads=[]).loss is None and calls == []
    with pytest.raises(ValueError, match="wings"):
        model(**inputs, spatial_heads=["detection", "wings"])


def test_alignment_batch_equivalence_and_pretraining_round_trip(tmp_path):
    model = SoccerMasterModel(tiny_config()).eval()
    clips = torch.randn(3, 2, 3, 32, 32)
    with torch.no_grad():
        batched = model.get_video_features(clips)
        alone = model.get_video_features(clips[1:2])
    torch.testing.assert_close(alone[0], batched[1], atol=1e-5, rtol=1e-5)
    pretraining = SoccerMasterForPreTraining(tiny_config()).eval()
    pretraining.save_pretrained(tmp_path)
    reloaded = SoccerMasterForPreTraining.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        first = pretraining(spatial_pixel_values=clips[:1], semantic_pixel_values=clips)
        second = reloaded(spatial_pixel_values=clips[:1], semantic_pixel_values=clips)
    torch.testing.assert_close(first.event_logits, second.event_logits)
    torch.testing.assert_close(first.detection["pred_boxes"], second.detection["pred_boxes"])
    torch.testing.assert_close(first.pitch.keypoint_heatmaps, second.pitch.keypoint_heatmaps)
