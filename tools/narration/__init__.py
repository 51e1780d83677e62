"""Narration: speech engines, the synthesis cache, the voice-over mix and subtitles.

One job per module: ``speaker`` (the ``Speaker`` protocol and engine lookup),
``espeak`` (the espeak-ng engine, the floor on any machine), ``cache``
(synthesis keyed by engine, voice and text, like shots), ``mix`` (narration
over music: ducking, loudness, fades) and ``subtitles`` (SRT/WebVTT cues).
"""
