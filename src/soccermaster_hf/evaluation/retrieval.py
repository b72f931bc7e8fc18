"""Video-text retrieval and zero-shot event recognition, scored as the paper reports them.

* **Retrieval:** the clips are cut, in order, into candidate batches of 48 (the paper's protocol). Within a batch,
  every clip ranks the batch's 48 commentaries by the alignment head's similarity, and top-1 counts the clips whose
  own commentary ranks first. SoccerSynth captions are one template per event class, so a batch often holds the same
  text several times. `top1_same_text` also counts a hit when the top-ranked text is identical to the clip's own.
* **Zero-shot events:** every clip ranks the model's event keywords (``"a soccer clip of {keyword}"``, the prompts
  `analyze --prompts` uses by default), and the top keyword is compared with the clip's label.

The video feature is the normalised mean over frames of F_sem, and the text feature is the text tower's projected
output of the commentary padded to 64 tokens. This is how the alignment head is trained
(:mod:`soccermaster_hf.analysis.zero_shot`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..modeling.modeling_soccermaster_video import retrieval_accuracy, semantic_features

PAPER_BATCH_SIZE = 48


@dataclass
class RetrievalScores:
    """Scores of :func:`score_retrieval` (accuracies in [0, 1])."""

    num_clips: int            # clips scored (with a commentary and a decodable video)
    num_batches: int          # candidate batches (a last, smaller batch is left out when a full one exists)
    batch_size: int           # candidates per batch (48, or every clip when there are fewer)
    top1: float               # own commentary ranked first among the batch's
    top5: float
    top1_same_text: float     # the first-ranked commentary is the clip's own text (templates repeat)
    chance_top1: float        # 1 / batch_size
    keyword_top1: float       # zero-shot: the top event keyword is the clip's label
    majority_keyword: float   # share of the most frequent label (a constant answer's accuracy)
    skipped: int              # clips without a commentary or whose video failed to decode

    def to_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


@torch.no_grad()
def score_retrieval(model, tokenizer, dataset, batch_size: int = PAPER_BATCH_SIZE, image_size: int | None = None,
                    max_length: int = 64, chunk: int = 8, progress: bool = False) -> RetrievalScores:
    """Score `model` (a SoccerMaster model with a text tower, e.g. trained with `soccermaster train --text-encoder`)
    and its `tokenizer` on `dataset`, a :class:`~soccermaster_hf.data.semantic.SemanticClips` whose records carry
    their anonymised commentary. `image_size` defaults to the backbone's."""
    from tqdm.auto import tqdm

    from ..analysis.zero_shot import _text_features, prompt_scorer
    from ..data.semantic import to_semantic_inputs

    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2, got {batch_size}.")
    if getattr(model, "text_model", None) is None:
        raise ValueError("retrieval needs a model with a text tower (`soccermaster train --text-encoder`).")
    size = image_size or model.config.vision_config.image_size
    device = next(model.parameters()).device
    indices = [i for i, record in enumerate(dataset.records) if record["text"].strip()]
    skipped = len(dataset.records) - len(indices)
    samples, videos = [], []
    bar = tqdm(total=len(indices), desc="retrieval: clips", disable=not progress)
    for start in range(0, len(indices), chunk):
        batch = [dataset[i] for i in indices[start:start + chunk]]
        bar.update(len(batch))
        decoded = [sample for sample in batch if sample["label"] >= 0]  # the reader counts undecodable videos
        skipped += len(batch) - len(decoded)
        if not decoded:
            continue
        pixels = to_semantic_inputs(decoded, size)["semantic_pixel_values"].to(device)
        features, _ = semantic_features(model, pixels, None)
        videos.append(features.float().cpu())
        samples.extend(decoded)
    bar.close()
    if len(samples) < 2:
        raise ValueError(f"retrieval needs at least 2 clips with a commentary, got {len(samples)}.")
    pooled = torch.cat(videos)  # (clips, frames, hidden)
    video = nn.functional.normalize(pooled.mean(dim=1), dim=-1)
    texts = [sample["text"] for sample in samples]
    text = torch.cat([_text_features(model, tokenizer, texts[i:i + 64], "{}", max_length).float().cpu()
                      for i in range(0, len(texts), 64)])
    size_used = min(batch_size, len(samples))
    batches = max(1, len(samples) // size_used)
    top1 = top5 = same = 0.0
    for b in range(batches):
        part = slice(b * size_used, (b + 1) * size_used)
        similarity = video[part] @ text[part].t()  # the alignment logits up to a positive scale and a bias
        scores = retrieval_accuracy(similarity, top_k=(1, min(5, size_used)))
        top1 += scores["top1"]
        top5 += scores[f"top{min(5, size_used)}"]
        batch_texts = texts[part]
        best = similarity.argmax(dim=1).tolist()
        same += sum(batch_texts[j] == batch_texts[i] for i, j in enumerate(best)) / size_used
    scorer = prompt_scorer(model, tokenizer, max_length=max_length)
    best_keyword = (video @ scorer.text_features.t()).argmax(dim=1).tolist()  # same order as the SigLIP probabilities
    keyword_hits = sum(scorer.prompts[k] == dataset.labels[sample["label"]] for k, sample in zip(best_keyword, samples))
    labels = Counter(sample["label"] for sample in samples)
    return RetrievalScores(num_clips=len(samples), num_batches=batches, batch_size=size_used, top1=top1 / batches,
                           top5=top5 / batches, top1_same_text=same / batches, chance_top1=1.0 / size_used,
                           keyword_top1=keyword_hits / len(samples),
                           majority_keyword=max(labels.values()) / len(samples), skipped=skipped)


__all__ = ["PAPER_BATCH_SIZE", "RetrievalScores", "score_retrieval"]
