"""Pre-train a small SoccerMaster on SoccerSynth clips (thin wrapper around `soccermaster_hf.training.pretrain`).

    soccermaster synth --out soccersynth --clips 8 --frames 50
    python examples/pretrain.py soccersynth --output runs/tiny --max-steps 200

Equivalent to `soccermaster train soccersynth --output runs/tiny --max-steps 200`; kill it at any time and run the
same command again to resume.
"""

import sys

from soccermaster_hf.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
