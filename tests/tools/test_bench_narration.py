"""The narration benchmark runs end to end on a short video (its figures are reported, never asserted)."""

from __future__ import annotations

from tests.benches import load_bench
from tests.tools.narration_helpers import needs_espeak


def _bench():
    return load_bench("bench_narration")


@needs_espeak
def test_each_mode_renders_the_sound_of_the_video(tmp_path):
    bench = _bench()
    (tmp_path / "renders").mkdir()
    bench._music(tmp_path / "music.flac", 8.0)
    runs = {mode: bench.one_run(tmp_path, 8.0, mode) for mode in ("plain", "cold", "cached")}
    assert runs["plain"]["lines"] == 0 and runs["cold"]["lines"] == runs["cached"]["lines"] == 2
    assert (tmp_path / "plain.m4a").stat().st_size > 0 and (tmp_path / "narrated.m4a").stat().st_size > 0
    assert (tmp_path / "renders" / "bench.srt").read_text(encoding="utf-8").count("Scene ") == 2
    assert len(list((tmp_path / "narration").glob("*.wav"))) == 2  # the cached run spoke nothing new
