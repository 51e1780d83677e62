"""User text never reaches ffmpeg's command line or filtergraph; only local project files are read."""

import numpy as np
import pytest
from media_helpers import frame_at

from longcut.errors import InputError
from longcut.tools import filters, runner
from longcut.tools.timeline import Timeline, render

INJECTION = "x',drawbox=c=red:t=fill,drawtext=text='pwn"
HOSTILE = [
    "it's", "a:b", "back\\slash", "one, two", "semi;colon", "[in]", "]", "%{pts}",
    "%{eif:1/0:d}", "line one\nline two", INJECTION, "x\\',drawbox=c=red:t=fill", "'\\''",
    "[0:v]null[out];", "textfile=/etc/passwd", "A" * 30,
]


def is_red(px) -> bool:
    return px[0] > 150 and px[2] < 80


def render_text(project, text, source="blue.mp4", **overlay):
    """A 64×64 render of ``source`` with ``text`` drawn over its first second."""
    tl = Timeline.model_validate({"width": 64, "height": 64, "fps": 24, "clips": [{"source": source}],
                                  "overlays": [{"type": "text", "text": text, "start": 0.0, "end": 1.0, **overlay}]})
    out = project.root / "out.mp4"
    render(tl, out, project)
    return out


@pytest.fixture
def spy_args(monkeypatch):
    """Record every ffmpeg argument list a render runs."""
    seen: list[list[str]] = []
    real, real_progress = runner.run_ffmpeg, runner.run_ffmpeg_progress

    def spy(args, what, timeout=None):
        seen.append([str(a) for a in args])
        return real(args, what, timeout)

    def spy_progress(args, what, total_seconds, on_progress):
        seen.append([str(a) for a in args])
        return real_progress(args, what, total_seconds, on_progress)

    monkeypatch.setattr(filters, "run_ffmpeg", spy)
    monkeypatch.setattr(filters, "run_ffmpeg_progress", spy_progress)
    return seen


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_renders_and_never_reaches_the_command(project, spy_args, text):
    out = render_text(project, text, font_size=12, color="white")
    assert spy_args, "the render must run ffmpeg through filters.encode"
    for args in spy_args:
        for arg in args:
            assert (text[:40] not in arg) or len(text[:40]) < 3, arg
    inside = frame_at(out, 0.5)
    assert not is_red(inside[2, 2]), "an injected drawbox painted the frame"
    # The text was drawn: the frame differs from the same frame without the overlay.
    assert np.abs(inside - frame_at(out, 1.5)).max() > 100


def test_text_too_long_for_the_frame_is_refused_not_cut(project, spy_args):
    with pytest.raises(InputError, match="does not fit a .* area even at 8 px; shorten it"):
        render_text(project, "A" * 10_000)
    assert not spy_args


def test_text_file_holds_the_text_verbatim(tmp_path):
    for text in HOSTILE:
        assert filters.write_text_file(text, tmp_path).read_text(encoding="utf-8") == text


def test_expansion_is_off(project):
    # With expansion, %{pts} would print the time and differ between frames.
    out = render_text(project, "%{pts} %{n}", source="red.mp4", font_size=20)
    assert np.array_equal(frame_at(out, 0.2), frame_at(out, 0.8))


def test_injection_through_hand_formatting_would_have_worked(project):
    """Control: the injection string is a real attack when formatted into a graph by hand."""
    src = project.root / "blue.mp4"
    out = project.root / "pwned.png"
    vf = f"drawtext=fontfile={filters.font_file()}:text='{INJECTION}'"
    runner.run_ffmpeg(["-y", "-i", str(src), "-vf", vf, "-frames:v", "1", str(out)], "control")
    assert is_red(frame_at(out, 0)[2, 2])


@pytest.mark.parametrize("field,value", [
    ("source", "http://example.com/a.mp4"), ("source", "/etc/passwd"), ("source", "../x.mp4"),
    ("source", "concat:red.mp4|blue.mp4"), ("source", "file:red.mp4"),
    ("image", "data:image/png;base64,AAAA"), ("image", "../logo.png"),
])
def test_urls_and_outside_paths_are_refused(project, field, value):
    clip = {"source": "red.mp4"}
    image = {"type": "image", "image": "logo.png", "start": 0, "end": 1}
    (clip if field == "source" else image)[field] = value
    tl = Timeline.model_validate({"width": 64, "height": 64, "clips": [clip], "overlays": [image]})
    with pytest.raises(InputError, match="URL|outside the project"):
        render(tl, project.root / "out.mp4", project)
    assert not (project.root / "out.mp4").exists()


@pytest.mark.parametrize("name,body", [
    ("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{outside}\n#EXT-X-ENDLIST\n"),
    ("script.mp4", "ffconcat version 1.0\nfile '{outside}'\n"),
])
def test_playlists_and_scripts_cannot_reach_files_outside(project, tmp_path, name, body):
    outside = tmp_path / "outside.mp4"
    outside.write_bytes((project.root / "red.mp4").read_bytes())
    (project.root / name).write_text(body.format(outside=outside))
    with pytest.raises(InputError, match="not readable media"):
        render(Timeline(clips=[{"source": name}]), project.root / "out.mp4", project)


def test_text_renders_without_system_fonts(project, monkeypatch):
    monkeypatch.setattr(filters, "_FONT_CANDIDATES", ())
    monkeypatch.delenv("LONGCUT_FONT", raising=False)
    filters.font_file.cache_clear()
    try:
        font = filters.font_file()
        assert "dejavu" not in str(font).lower() and font.read_bytes()[:4] in (b"\x00\x01\x00\x00", b"OTTO")
        out = render_text(project, "Hello", source="red.mp4", font_size=24)
        assert np.abs(frame_at(out, 0.5) - frame_at(out, 1.5)).max() > 100
    finally:
        filters.font_file.cache_clear()
