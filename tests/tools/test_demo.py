"""setup.sh renders the demo: it must work from generated media alone."""

from longcut.tools.demo import demo_timeline, main
from longcut.tools.media import count_frames, probe


def test_demo_renders_the_timeline_duration(tmp_path):
    out = tmp_path / "out" / "demo.mp4"
    assert main([str(out)]) == 0
    info = probe(out)
    assert info.has_audio and info.size == (320, 180)
    expected = 3 * 72 - 18 - 12  # three 3 s clips at 24 fps, minus 0.75 s and 0.5 s transitions
    assert demo_timeline().clips[2].transition.duration == 0.5
    assert abs(count_frames(out) - expected) <= 1


def test_demo_usage_error():
    assert main([]) == 2
