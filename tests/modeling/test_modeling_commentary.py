"""`SoccerMasterForConditionalGeneration` through the shared model tester (tiny backbone, Q-Former and random Llama)."""

from __future__ import annotations

import torch
from commentary.helpers import tiny_commentary_config  # tests/commentary (tests/ is on sys.path)

from soccermaster_hf import SoccerMasterForConditionalGeneration

from .tester import ModelTesterMixin, clip

VOCAB = 40


class TestConditionalGeneration(ModelTesterMixin):
    model_class = SoccerMasterForConditionalGeneration

    def make_config(self):
        return tiny_commentary_config(VOCAB)

    def loss_inputs(self):
        input_ids = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 2]])
        labels = input_ids.masked_fill(torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]).bool(), -100)
        return {"pixel_values": clip(2), "input_ids": input_ids, "labels": labels,
                "attention_mask": (labels != -100).long()}

    def output_tensor(self, output):
        return output.logits

    def test_can_generate(self):
        assert self.model_class.can_generate()
