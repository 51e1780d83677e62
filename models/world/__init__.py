"""The embedded procedural world: what the tiny model is trained on, and how its footage is read.

``vocab`` (names → RGB, sizes, motions, the scene specs), ``geometry`` (shapes,
patterns, tracks), ``captions`` (the caption grammar), ``scene`` (sampling and
rendering scenes), ``evaluate*`` (the evaluator that reads colour, shape,
motion and background back from frames) and ``capabilities`` (the world's
grammar and evaluator as a backend's ``ModelInfo`` carries them).
"""
