"""MatchTime's commentary metrics (pycocoevalcap, raw strings, corpus level) against hand-checked values."""

from __future__ import annotations

import csv
import json
import math

import pytest

pytest.importorskip("pycocoevalcap")

from soccermaster_hf.cli.main import main  # noqa: E402
from soccermaster_hf.evaluation.commentary import (  # noqa: E402
    java_available,
    read_predictions,
    score_commentary,
)

MATCHTIME_COLUMNS = ["league", "game", "half", "timestamp", "type", "anonymized", "predicted_res_0"]


def test_hand_checked_bleu_rouge_cider():
    # one clip: reference "a b c d", prediction "a b c"
    scores = score_commentary(["a b c d"], ["a b c"], meteor=False)
    brevity = math.exp(1 - 4 / 3)  # closest reference length 4, hypothesis length 3
    assert scores.bleu_1 == pytest.approx(brevity, rel=1e-6)  # 3/3 unigrams match
    assert scores.bleu_2 == pytest.approx(brevity, rel=1e-6)  # 2/2 bigrams
    assert scores.bleu_3 == pytest.approx(brevity, rel=1e-6)  # 1/1 trigram
    # no 4-gram in the hypothesis: pycocoevalcap's smoothing makes that precision tiny / small = 1e-15 / 1e-9
    assert scores.bleu_4 == pytest.approx(brevity * (1e-15 / 1e-9) ** 0.25, rel=1e-6)
    # ROUGE-L: LCS 3, precision 1, recall 3/4, beta 1.2
    precision, recall, beta = 1.0, 0.75, 1.2
    assert scores.rouge_l == pytest.approx((1 + beta**2) * precision * recall / (recall + beta**2 * precision))
    assert scores.meteor is None and "skipped" in scores.meteor_note
    # CIDEr-D, two clips predicted exactly: unigrams and the bigram have idf log 2 -> cosine 1 for n = 1, 2; no
    # 3- or 4-grams -> 0; score = 10 * (1 + 1 + 0 + 0) / 4 = 5 for each clip
    assert score_commentary(["a b", "c d"], ["a b", "c d"], meteor=False).cider == pytest.approx(5.0)


def test_raw_strings_case_and_punctuation_count():
    exact = score_commentary(["[PLAYER] ([TEAM]) scores!"], ["[PLAYER] ([TEAM]) scores!"], meteor=False)
    changed = score_commentary(["[PLAYER] ([TEAM]) scores!"], ["[player] ([TEAM]) scores"], meteor=False)
    assert exact.bleu_1 == pytest.approx(1.0) and changed.bleu_1 == pytest.approx(1 / 3)  # no tokenizer
    with pytest.raises(ValueError, match="references"):
        score_commentary(["a"], ["a", "b"], meteor=False)


def test_cider_is_corpus_level():
    refs = ["a goal for [TEAM]", "a corner for [TEAM]", "a foul by [PLAYER]", "a goal by [PLAYER]"]
    preds = ["a goal for [TEAM]", "a corner", "a foul", "a goal by [PLAYER]"]
    whole = score_commentary(refs, preds, meteor=False).cider
    halves = [score_commentary(refs[i:i + 2], preds[i:i + 2], meteor=False).cider for i in (0, 2)]
    assert whole != pytest.approx(sum(halves) / 2)  # the IDF comes from the whole reference set


@pytest.mark.skipif(not java_available(), reason="METEOR needs Java")
def test_meteor_with_java():
    scores = score_commentary(["[PLAYER] takes the corner kick", "The ball goes out of play"],
                              ["[PLAYER] takes the corner kick", "nothing here"], meteor=True)
    assert 0.3 < scores.meteor < 0.7  # one exact clip (~0.99 stats), one with no match


def test_reads_matchtime_csv_and_our_json(tmp_path):
    rows = [["england_epl", "game", "2", "2830", "soccer-ball", "Goal! [PLAYER] ([TEAM]) scores.", "[PLAYER] scores."],
            ["england_epl", "game", "2", "2631", "corner", "A corner, for [TEAM].", ""]]
    path = tmp_path / "inference.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MATCHTIME_COLUMNS)
        writer.writerows(rows)
    records = read_predictions(path)
    assert [r.reference for r in records] == [rows[0][5], rows[1][5]]
    assert records[1].prediction == "" and records[0].metadata["timestamp"] == "2830"
    ours = tmp_path / "predictions.json"
    ours.write_text(json.dumps([{"reference": r[5], "prediction": r[6], "video": "x.mp4"} for r in rows]))
    assert [(r.reference, r.prediction) for r in read_predictions(ours)] == [(r.reference, r.prediction)
                                                                             for r in records]
    bad = tmp_path / "bad.csv"
    bad.write_text("league,caption\nx,y\n")
    with pytest.raises(ValueError, match="anonymized"):
        read_predictions(bad)


def test_cli(tmp_path, capsys):
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps({"predictions": [{"reference": "a b c d", "prediction": "a b c"}]}))
    out = tmp_path / "scores.json"
    assert main(["eval-commentary", str(path), "--no-meteor", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "BLEU-1" in printed.out and "71.653" in printed.out and "METEOR skipped" in printed.err
    assert json.loads(out.read_text())["matchtime"]["BLEU-1"] == pytest.approx(71.653)
    assert main(["eval-commentary", str(tmp_path / "missing.csv")]) == 1
