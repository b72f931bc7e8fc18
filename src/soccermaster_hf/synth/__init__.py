"""SoccerSynth: synthetic broadcast clips grounded in real tracking data, with ground truth in SoccerNet formats."""
