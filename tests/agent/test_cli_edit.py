"""``longcut edit timeline.json -o out.mp4`` end to end, in a subprocess like a user runs it."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from longcut.tools.media import count_frames, probe
from longcut.tools.runner import run_ffmpeg


def longcut(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "longcut", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def folder(project_dir: Path) -> Path:
    for name, src in [("a.mp4", "testsrc=size=64x64:rate=24"), ("b.mp4", "color=c=blue:size=64x64:rate=24")]:
        run_ffmpeg(["-y", "-f", "lavfi", "-i", src, "-t", "1", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(project_dir / name)], "make clip")
    return project_dir


def write(folder: Path, data: dict, name: str = "tl.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def test_edit_renders_a_timeline(folder):
    tl = write(folder, {"width": 64, "height": 64, "fps": 24, "clips": [
        {"source": "a.mp4"}, {"source": "b.mp4", "transition": {"kind": "fade", "duration": 0.5}}],
        "overlays": [{"type": "text", "text": "hi: 'there'", "start": 0, "end": 1}]})
    out = folder / "renders" / "out.mp4"
    res = longcut("edit", str(tl), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "wrote" in res.stderr
    assert abs(count_frames(out) - 36) <= 1 and probe(out).size == (64, 64)


@pytest.mark.parametrize("data,msg", [
    ("{not json", "is not valid JSON"),
    ({"clips": [{"source": "nope.mp4"}]}, "'nope.mp4' does not exist"),
    ({"clips": [{"source": "../../etc/passwd"}]}, "outside the project folder"),
    ({"clips": [{"source": "http://x.org/a.mp4"}]}, "looks like a URL"),
    ({"clips": [{"source": "a.mp4", "in_point": -1}]}, "in_point: Input should be greater than or equal to 0"),
    ({"clips": [{"source": "a.mp4", "out_point": 7}]}, "past the end of 'a.mp4'"),
    ({"clips": [{"source": "a.mp4"}, {"source": "b.mp4", "transition": {"kind": "zoom"}}]}, "kind: Input should be"),
    ({"width": 100000, "clips": [{"source": "a.mp4"}]}, "width: Input should be less than or equal to 4096"),
])
def test_bad_timelines_exit_2_with_one_message(folder, data, msg):
    tl = folder / "bad.json"
    tl.write_text(data if isinstance(data, str) else json.dumps(data))
    res = longcut("edit", str(tl), "-o", str(folder / "out.mp4"))
    assert res.returncode == 2
    assert msg in " ".join(res.stderr.split()), res.stderr
    assert "Traceback" not in res.stderr
    assert not (folder / "out.mp4").exists()


def test_debug_shows_the_traceback(folder):
    res = longcut("--debug", "edit", str(write(folder, {"clips": [{"source": "nope.mp4"}]})))
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_missing_timeline_file(folder):
    res = longcut("edit", str(folder / "none.json"))
    assert res.returncode == 2 and "does not exist" in res.stderr


def start_long_render(folder: Path) -> tuple[subprocess.Popen, Path]:
    """``longcut edit`` of a 2-minute 720p timeline into ``out.mp4``, once its temporary file exists."""
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-t", "120", "-c:v",
                "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(folder / "long.mp4")],
               "make long clip")
    tl = write(folder, {"width": 1280, "height": 720, "fps": 24, "clips": [{"source": "long.mp4"}]})
    out = folder / "out.mp4"
    # a test run started in the background (`cmd &`) inherits SIGINT ignored; the user's terminal does not
    proc = subprocess.Popen([sys.executable, "-m", "longcut", "edit", str(tl), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list(folder.glob(".out.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "render finished before it could be interrupted"
    return proc, out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_render_leaves_nothing_at_the_output(folder, sig):
    proc, out = start_long_render(folder)
    time.sleep(0.1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert not out.exists()
    assert not list(folder.glob(".out*"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_render_leaves_no_encoder_and_its_temporary_file_is_swept(folder):
    from tests.procs import children, survivors

    proc, out = start_long_render(folder)
    deadline = time.monotonic() + 30  # the temporary file can appear a moment before ffmpeg is spawned
    while not (encoders := children(proc.pid)) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no handler, no cleanup in the process itself
    proc.communicate()
    assert encoders and not survivors(encoders), "ffmpeg outlived the killed longcut edit"
    assert list(folder.glob(".out.tmp-*")), "the kill should have left the temporary file"
    short = write(folder, {"width": 64, "height": 64, "fps": 24, "clips": [{"source": "a.mp4"}]}, "short.json")
    res = longcut("edit", str(short), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert out.is_file() and not list(folder.glob(".out*"))  # the next edit of that output swept it


def test_file_system_errors_are_one_line(folder):
    tl = write(folder, {"width": 64, "height": 64, "fps": 24, "clips": [{"source": "a.mp4"}]})
    (folder / "afile").write_bytes(b"x")
    cases = [(["-o", str(folder / "afile" / "x.mp4")], "is a file, not a folder"),
             (["-o", "/proc/version.mp4"], "cannot be written")]
    for extra, needle in cases:
        res = longcut("edit", str(tl), *extra)
        assert res.returncode == 2, res.stderr
        assert needle in " ".join(res.stderr.split()) and "Traceback" not in res.stderr
        assert res.stderr.count("error:") == 1 and len(res.stderr) < 600  # one message (rich wraps it)
    res = longcut("edit", "/proc/self/mem", "-o", str(folder / "o.mp4"))
    assert res.returncode == 2 and "cannot be read" in res.stderr and "Traceback" not in res.stderr
