"""Subtitle sidecars: SubRip and WebVTT with the line's text and times."""

from __future__ import annotations

from longcut.tools.narration.subtitles import Cue, to_srt, to_vtt, vtt_text, write_sidecars


def test_srt_and_vtt_carry_text_and_times(tmp_path):
    cues = [Cue(0.3, 2.5, "Once upon a time."), Cue(3661.25, 3662.0, 'She said: "100% {yes}"\n\nThen left.')]
    srt = to_srt(cues)
    assert srt.startswith("1\n00:00:00,300 --> 00:00:02,500\nOnce upon a time.\n\n2\n01:01:01,250 --> 01:01:02,000\n")
    assert 'She said: "100% {yes}"\nThen left.\n' in srt  # a blank line would end the cue
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.300 --> 00:00:02.500\nOnce upon a time.\n")
    srt_path, vtt_path = write_sidecars(cues, tmp_path / "video")
    assert srt_path.read_text(encoding="utf-8") == srt and vtt_path.name == "video.vtt"


def test_vtt_escapes_what_it_must():
    assert vtt_text("a <b> & c --> d") == "a &lt;b&gt; &amp; c --&gt; d"

