"""The procedural world: determinism, window independence, vocabulary, captions."""

import random
import re

import numpy as np
import pytest

from longcut.models.world.geometry import event_blend, object_track
from longcut.models.world.scene import (
    BACKGROUNDS,
    COLOURS,
    EVENTS,
    FPS,
    FRAME_SIZE,
    MOTIONS,
    NEUTRAL_RGB,
    PATTERNS,
    SHAPES,
    SIZES,
    SPEEDS,
    SYNONYMS,
    ObjectSpec,
    SceneSpec,
    background_rows,
    canonical_caption,
    caption,
    object_mask,
    parse_canonical,
    render_frames,
    render_reference,
    sample_scene,
    shape_extent,
)

SEEDS = range(300)


def test_contract_constants():
    assert FPS >= 8 and FRAME_SIZE >= 64
    assert len(COLOURS) == 10 and len(SHAPES) >= 4
    assert set(SIZES) == {"small", "big"}
    assert set(PATTERNS) == {"solid", "stripes", "dots", "checker"}
    assert set(MOTIONS) == {"still", "left", "right", "up", "down", "bounces", "circles", "grows", "shrinks"}
    assert set(BACKGROUNDS) == {"sky", "night", "grass", "sand", "stone", "sunset"}
    assert len(EVENTS) == 2
    for word in [*COLOURS, *SHAPES, *SIZES, *PATTERNS[1:], *MOTIONS, *SPEEDS, *BACKGROUNDS, *EVENTS]:
        assert len(SYNONYMS[word]) >= 2, word


def test_sampling_is_deterministic_by_seed():
    assert sample_scene(7) == sample_scene(7)
    assert sample_scene(7) != sample_scene(8)
    a, b = render_frames(sample_scene(7), 0, 9), render_frames(sample_scene(7), 0, 9)
    assert a.dtype == np.uint8 and a.shape == (9, FRAME_SIZE, FRAME_SIZE, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_frames(sample_scene(8), 0, 9))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_any_window_renders_the_same_pixels(seed):
    s = sample_scene(seed)
    full = render_frames(s, 0, 80)  # crosses the internal render block
    assert np.array_equal(full[10:20], render_frames(s, 10, 10))
    assert np.array_equal(full[60:75], render_frames(s, 60, 15))
    assert np.array_equal(render_frames(s, 0, 20)[10:], render_frames(s, 10, 10))
    assert render_frames(s, 5, 0).shape == (0, FRAME_SIZE, FRAME_SIZE, 3)


def test_frames_move_and_ten_minutes_render():
    s = sample_scene(0, 1, motion="left", speed="fast")
    f = render_frames(s, 0, 2)
    assert np.abs(f[0].astype(int) - f[1]).sum() > 0
    late = render_frames(s, 10 * 60 * FPS - 1, 1)  # the last frame of a 10-minute clip
    assert late.shape == (1, FRAME_SIZE, FRAME_SIZE, 3)


def test_translating_object_leaves_and_comes_back():
    s = sample_scene(3, 1, motion="right", speed="fast")
    o = s.objects[0]
    t = np.arange(0, 400)
    x, _, _ = object_track(o, t)
    assert x.max() > 64 + 0.5 * 16 and x.min() < -0.5 * 16 + 1  # fully out on both sides
    assert np.sum(np.diff(x) < 0) >= 2  # wrapped round at least twice


def test_bounces_stay_inside_and_reflect():
    for seed in range(20):
        o = sample_scene(seed, 1, motion="bounces").objects[0]
        x, y, _ = object_track(o, np.arange(300))
        left, right, top, bottom = shape_extent(o)
        assert x.min() >= left - 1e-6 and x.max() <= 64 - right + 1e-6
        assert y.min() >= top - 1e-6 and y.max() <= 64 - bottom + 1e-6
        assert np.any(np.diff(np.sign(np.diff(x))) != 0)  # turned round at a wall


def test_other_sizes_scale_geometry():
    s = sample_scene(11)
    big = render_frames(s, 0, 2, size=128)
    assert big.shape == (2, 128, 128, 3)
    small = big.reshape(2, 64, 2, 64, 2, 3).astype(float).mean(axis=(2, 4))
    assert np.abs(small - render_frames(s, 0, 2)).mean() < 3.0


def test_vocabulary_is_all_used():
    seen: dict[str, set] = {k: set() for k in ("shape", "colour", "size", "pattern", "motion", "speed")}
    backgrounds, events = set(), set()
    for seed in range(400):
        s = sample_scene(seed)
        backgrounds.add(s.background)
        events.add(s.event)
        for o in s.objects:
            for k in seen:
                seen[k].add(getattr(o, k))
    assert seen["shape"] == set(SHAPES) and seen["colour"] == set(COLOURS)
    assert seen["size"] == set(SIZES) and seen["pattern"] == set(PATTERNS)
    assert seen["motion"] == set(MOTIONS) and seen["speed"] == set(SPEEDS)
    assert backgrounds == set(BACKGROUNDS) and events == {None, *EVENTS}


def _boxes(s):
    out = []
    for o in s.objects:
        x, y, sc = object_track(o, np.zeros(1))
        left, right, top, bottom = shape_extent(o, float(sc[0]))
        out.append((x[0] - left, x[0] + right, y[0] - top, y[0] + bottom))
    return out


def test_objects_whole_for_a_second_and_two_stay_apart_at_first():
    from longcut.models.world.scene import APART_FRAMES, _overlaps, _whole_at_start

    assert APART_FRAMES >= 24
    for seed in range(100):
        s = sample_scene(seed, 2)
        assert not _overlaps(*s.objects), seed
        assert all(_whole_at_start(o) for o in s.objects), seed
        assert _whole_at_start(sample_scene(seed, 1).objects[0]), seed


def test_objects_start_inside_and_apart():
    for seed in SEEDS:
        s = sample_scene(seed)
        boxes = _boxes(s)
        for x0, x1, y0, y1 in boxes:
            assert -1e-6 <= x0 and x1 <= 64 + 1e-6 and -1e-6 <= y0 and y1 <= 64 + 1e-6, (seed, s)
        if len(boxes) == 2:
            (a0, a1, b0, b1), (c0, c1, d0, d1) = boxes
            assert a1 + 3 <= c0 or c1 + 3 <= a0 or b1 + 3 <= d0 or d1 + 3 <= b0, seed


def test_fixed_pins_attributes():
    s = sample_scene(5, 2, colour="red", background="night", event="the sky darkens")
    assert s.background == "night" and s.event == "the sky darkens"
    assert all(o.colour == "red" for o in s.objects)
    s = sample_scene(5, objects=[{"shape": "star", "pattern": "dots"}, {"motion": "grows"}])
    assert len(s.objects) == 2
    assert s.objects[0].shape == "star" and s.objects[0].pattern == "dots"
    assert s.objects[0].pattern_colour not in (None, s.objects[0].colour)
    assert s.objects[1].motion == "grows"
    with pytest.raises(ValueError, match="colour"):
        sample_scene(1, colour="mauve")
    with pytest.raises(ValueError, match="unknown keys"):
        sample_scene(1, hue="red")


def test_specs_validate_with_messages():
    with pytest.raises(ValueError, match="'hexagon'"):
        ObjectSpec(shape="hexagon", colour="red", size="big")
    with pytest.raises(ValueError, match="pattern_colour"):
        ObjectSpec(shape="circle", colour="red", size="big", pattern="dots", pattern_colour="red")
    with pytest.raises(ValueError, match="1 or 2"):
        SceneSpec(objects=(), background="sky")
    with pytest.raises(ValueError):
        render_frames(sample_scene(0), -1, 3)


def test_events_change_the_background():
    s = sample_scene(2, 1, background="sky", event="the sky darkens", event_start=0, event_frames=8,
                     motion="still")
    f = render_frames(s, 0, 12).astype(float)
    assert f[-1, :, 0].mean() < f[0, :, 0].mean() - 20  # left column is background here or there
    s2 = sample_scene(2, 1, background="sky", event="the light comes up", event_start=0,
                      event_frames=8, motion="still")
    g = render_frames(s2, 0, 12).astype(float)
    assert np.allclose(g[-1], render_frames(sample_scene(2, 1, background="sky", event=None,
                                                         motion="still"), 0, 1)[0], atol=1)


def test_reference_is_object_on_neutral_background():
    o = sample_scene(4, 1, pattern="stripes", colour="red", pattern_colour="white").objects[0]
    ref = render_reference(o)
    assert ref.shape == (FRAME_SIZE, FRAME_SIZE, 3) and ref.dtype == np.uint8
    assert tuple(ref[0, 0]) == NEUTRAL_RGB and tuple(ref[-1, -1]) == NEUTRAL_RGB
    assert tuple(ref[32, 32]) == COLOURS["red"]  # the centre cell is the main colour
    assert (np.abs(ref.astype(int) - COLOURS["white"]).sum(-1) < 10).sum() > 20


def test_canonical_round_trip():
    for seed in SEEDS:
        s = sample_scene(seed)
        text = canonical_caption(s)
        assert parse_canonical(text) == s.attributes, text
    a = parse_canonical("a big red circle moves left on a sky background")
    assert a.objects[0].colour == "red" and a.objects[0].motion == "left" and a.objects[0].speed is None
    with pytest.raises(ValueError, match="not a canonical caption"):
        parse_canonical("a big mauve circle moves left on a sky background")


def _find(text, phrases):
    """Canonical words whose phrases occur in text (longest phrases first, consumed)."""
    found = []
    for canon, phrase in sorted(phrases, key=lambda p: -len(p[1])):
        pat = r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])"
        if re.search(pat, text):
            found.append(canon)
            text = re.sub(pat, " # ", text)
    return found, text


def _lexicon(words):
    return [(w, p) for w in words for p in (w, *SYNONYMS[w])]


def test_varied_captions_say_exactly_the_attributes():
    rng = random.Random(0)
    texts = set()
    for seed in SEEDS:
        s = sample_scene(seed, 1)
        o = s.objects[0]
        text = caption(s, rng)
        texts.add(text)
        ev, rest = _find(text, _lexicon(EVENTS))
        assert ev == ([s.event] if s.event else []), text
        bg, rest = _find(rest, _lexicon(BACKGROUNDS))
        assert bg == [s.background], text
        motion, rest = _find(rest, _lexicon(MOTIONS))
        assert motion == [o.motion], text
        colours, rest = _find(rest, _lexicon(COLOURS))
        assert set(colours) == {o.colour, o.pattern_colour} - {None}, text
        shapes, rest = _find(rest, _lexicon(SHAPES))
        assert shapes == [o.shape], text
        sizes, rest = _find(rest, _lexicon(SIZES))
        assert sizes == [o.size], text
        pats, rest = _find(rest, _lexicon(PATTERNS[1:]))
        assert pats == ([] if o.pattern == "solid" else [o.pattern]), text
        speeds, _ = _find(rest, _lexicon(SPEEDS))
        assert speeds == ([] if o.motion == "still" else [o.speed]), text
    assert len(texts) == len(SEEDS)  # varied
    assert caption(sample_scene(1), random.Random(3)) == caption(sample_scene(1), random.Random(3))


def test_object_mask_marks_the_objects_and_nothing_else():
    scene = sample_scene(7, n_objects=1, motion="still", size="big", background="grass")
    mask = object_mask(scene, 0, 3)
    assert mask.shape == (3, FRAME_SIZE, FRAME_SIZE) and mask.dtype == bool
    x, y, _ = object_track(scene.objects[0], np.arange(3.0))
    assert mask[0, int(y[0]), int(x[0])]  # the centroid is object
    assert 0.01 < mask.mean() < 0.5  # an object, not the frame
    assert np.array_equal(object_mask(scene, 0, 3, frames=render_frames(scene, 0, 3)), mask)
    frames = render_frames(scene, 0, 1).astype(float)[0]
    bare = np.broadcast_to(background_rows(scene.background, FRAME_SIZE, event_blend(scene, np.zeros(1)))[0, :, None, :], frames.shape)
    assert np.abs(frames - bare)[~mask[0]].max() <= 3  # unmarked pixels are the bare background
    assert np.abs(frames - bare)[mask[0]].max(axis=-1).min() > 2
