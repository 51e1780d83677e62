"""The timeline's finishing: clip speed, clip look, fades at the video's ends (tiny 64×64 renders)."""

import numpy as np
import pytest
from media_helpers import FPS, ONE_FRAME, frame_at, near

from longcut.errors import InputError
from longcut.tools.media import count_frames, probe, read_audio
from longcut.tools.timeline import Timeline, render


def tl(**kw) -> Timeline:
    return Timeline.model_validate({"width": 64, "height": 64, "fps": FPS, **kw})


def rendered(project, timeline, name="out.mp4"):
    out = project.root / name
    render(timeline, out, project)
    return out


def loudness(samples: np.ndarray, start: float, end: float, rate: int = 16000) -> float:
    part = samples[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(part**2))) if part.size else 0.0


@pytest.mark.parametrize("speed,seconds", [(2.0, 0.5), (0.5, 2.0), (0.25, 4.0)])
def test_speed_changes_the_clip_length_and_keeps_its_sound(project, speed, seconds):
    t = tl(clips=[{"source": "pattern.mp4", "out_point": 1.0, "speed": speed}])
    assert t.resolved(project).duration == pytest.approx(seconds)
    out = rendered(project, t)
    assert abs(probe(out).duration - seconds) <= ONE_FRAME + 1e-6
    assert abs(count_frames(out) - seconds * FPS) <= 1
    assert probe(out).has_audio and loudness(read_audio(out), 0.1, seconds - 0.1) > 0.05


def test_a_fast_clip_shows_later_source_frames(project):
    out = rendered(project, tl(clips=[{"source": "pattern.mp4", "speed": 2.0}]))
    # at 0.5 s of a 2× clip the source is at 1 s (testsrc draws a frame counter)
    assert np.abs(frame_at(out, 0.5) - frame_at(project.root / "pattern.mp4", 1.0)).mean() < 6


def test_look_greys_and_brightens_one_clip_only(project):
    t = tl(clips=[{"source": "red.mp4", "look": {"saturation": 0.0}},
                  {"source": "blue.mp4", "look": {"brightness": 0.3}},
                  {"source": "blue.mp4"}])
    out = rendered(project, t)
    r, g, b = frame_at(out, 1.0)[32, 32]
    assert abs(r - g) < 12 and abs(g - b) < 12  # grey
    assert frame_at(out, 3.0).mean() > frame_at(out, 5.0).mean() + 20
    assert near(frame_at(out, 5.0)[32, 32], (0, 0, 255))


def test_fades_at_both_ends_take_picture_and_sound_with_them(project):
    t = tl(clips=[{"source": "blue.mp4"}, {"source": "blue.mp4"}], fade_in=0.5, fade_out=1.0,
           overlays=[{"type": "text", "text": "MM", "start": 0, "end": 4, "box": True, "box_color": "white"}])
    out = rendered(project, t)
    assert abs(probe(out).duration - 4.0) <= ONE_FRAME + 1e-6
    assert frame_at(out, 0).max() < 30 and frame_at(out, 4 - ONE_FRAME).max() < 30  # the title fades too
    assert near(frame_at(out, 2.0)[2, 2], (0, 0, 255))
    sound = read_audio(out)
    middle = loudness(sound, 1.5, 2.5)
    assert middle > 0.05
    assert loudness(sound, 0.0, 0.05) < middle / 4 and loudness(sound, 3.95, 4.0) < middle / 4


@pytest.mark.parametrize("kw,msg", [
    ({"clips": [{"source": "red.mp4"}], "fade_in": 1.5, "fade_out": 1.0}, r"fade_in \+ fade_out \(2.5s\) is longer"),
    ({"clips": [{"source": "red.mp4"}], "fade_out": 1e-9}, "the fade-out lasts 1e-09s, shorter than one frame"),
])
def test_bad_fades_are_refused_before_rendering(project, kw, msg):
    with pytest.raises(InputError, match=msg):
        rendered(project, tl(**kw))
    assert not (project.root / "out.mp4").exists()


@pytest.mark.parametrize("clip,msg", [
    ({"source": "red.mp4", "speed": 100}, "speed"),
    ({"source": "red.mp4", "speed": 0}, "speed"),
    ({"source": "red.mp4", "look": {"saturation": 9}}, "saturation"),
    ({"source": "red.mp4", "look": {"brightness": float("nan")}}, "brightness"),
    ({"source": "red.mp4", "look": {"gamma": 2}}, "Extra inputs are not permitted"),
])
def test_bad_speeds_and_looks_are_refused_by_the_model(clip, msg):
    with pytest.raises(ValueError, match=msg):
        tl(clips=[clip])
