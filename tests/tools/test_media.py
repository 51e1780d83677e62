import numpy as np
import pytest
from media_helpers import FPS

from longcut.errors import InputError
from longcut.tools.media import (
    VideoWriter,
    count_frames,
    probe,
    read_audio,
    read_frame,
    read_frames,
)


def test_probe_reports_streams_size_fps_duration(media_dir):
    info = probe(media_dir / "pattern.mp4")
    assert (info.width, info.height, info.fps) == (64, 64, FPS)
    assert info.has_video and info.has_audio and info.video_codec == "h264"
    assert abs(info.duration - 2.0) <= 1 / FPS
    assert not probe(media_dir / "red.mp4").has_audio
    tone = probe(media_dir / "tone.m4a")
    assert tone.has_audio and not tone.has_video
    image = probe(media_dir / "logo.png")
    assert image.has_video and image.duration == 0.0 and image.size == (16, 16)


@pytest.mark.parametrize("name,msg", [
    ("missing.mp4", "does not exist"), ("empty.mp4", "empty"), ("corrupt.mp4", "not readable media"),
])
def test_probe_bad_files_name_the_file(media_dir, name, msg):
    with pytest.raises(InputError, match=msg) as err:
        probe(media_dir / name)
    assert name in str(err.value)


def test_read_frames_streams_every_frame(media_dir):
    frames = list(read_frames(media_dir / "pattern.mp4"))
    assert len(frames) == count_frames(media_dir / "pattern.mp4") == 2 * FPS
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    small = next(read_frames(media_dir / "pattern.mp4", size=(32, 16)))
    assert small.shape == (16, 32, 3)


def test_read_frame_and_audio(media_dir):
    red = read_frame(media_dir / "red.mp4", 1.0)
    assert red[..., 0].mean() > 200 and red[..., 2].mean() < 40
    with pytest.raises(InputError, match="outside"):
        read_frame(media_dir / "red.mp4", 5.0)
    samples = read_audio(media_dir / "tone.m4a")
    assert abs(samples.size / 16000 - 3.0) < 0.1 and np.abs(samples).max() > 0.1
    assert read_audio(media_dir / "red.mp4").size == 0


def test_video_writer_round_trips_frames(tmp_path, media_dir):
    out = tmp_path / "w.mp4"
    with VideoWriter(out, fps=FPS, size=(64, 48), audio=media_dir / "tone.m4a") as w:
        assert not out.exists()  # written under a temporary name until closed
        for i in range(FPS):
            w.write(np.full((48, 64, 3), (i * 10, 100, 200), np.uint8))
    info = probe(out)
    assert info.size == (64, 48) and info.has_audio and count_frames(out) == FPS
    last = read_frame(out, (FPS - 1) / FPS).astype(int)
    assert abs(last[..., 0].mean() - 230) < 8 and abs(last[..., 2].mean() - 200) < 8


def test_video_writer_failure_leaves_nothing(tmp_path):
    out = tmp_path / "w.mp4"
    with pytest.raises(KeyboardInterrupt), VideoWriter(out, fps=FPS, size=(32, 32)) as w:
        w.write(np.zeros((32, 32, 3), np.uint8))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_video_writer_rejects_bad_frames_and_sizes(tmp_path):
    with pytest.raises(InputError, match="even"):
        VideoWriter(tmp_path / "a.mp4", fps=24, size=(33, 32))
    with pytest.raises(InputError, match="out of range"):
        VideoWriter(tmp_path / "a.mp4", fps=24, size=(100000, 32))
    with pytest.raises(InputError, match="expected"), VideoWriter(tmp_path / "a.mp4", 24, (32, 32)) as w:
        w.write(np.zeros((16, 16, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name,args,video,audio", [
    ("c.mkv", ["-f", "lavfi", "-i", "testsrc=size=32x32:rate=10", "-c:v", "libx264"], True, False),
    ("c.mp3", ["-f", "lavfi", "-i", "sine"], False, True),
    ("c.wav", ["-f", "lavfi", "-i", "sine"], False, True),
    ("c.jpg", ["-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1"], True, False),
])
def test_common_formats_pass_the_demuxer_whitelist(tmp_path, name, args, video, audio):
    from longcut.tools.runner import run_ffmpeg

    run_ffmpeg(["-y", *args, "-t", "1", str(tmp_path / name)], "make")
    info = probe(tmp_path / name)
    assert (info.has_video, info.has_audio) == (video, audio)
