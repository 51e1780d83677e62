"""What a session is given is checked before anything is saved; copies are probed first and private."""

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.state import PendingTurn, Project
from longcut.agent.turn.session import Options, Sessions
from longcut.errors import InputError
from longcut.tools import paths
from longcut.tools.runner import run_ffmpeg

from tests.fakes import WorldOracleModel

REQUEST = "a 2-second video: a big red circle stays still on a sky background"



def opts(**kw) -> Options:
    return Options(
        video_model=WorldOracleModel(),
        planner_impl=OfflinePlanner(use_embeddings=False),
        candidates=1,
        **kw,
    )


@pytest.fixture
def tone(tmp_path) -> Path:
    path = tmp_path / "tone.m4a"
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:a", "aac", str(path)],
        "make tone",
    )
    return path


def not_media(tmp_path: Path, tone: Path) -> list[Path]:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    concat = tmp_path / "list.ffconcat"  # a concat script naming real audio: ffmpeg would follow it
    concat.write_text(f"ffconcat version 1.0\nfile '{tone}'\n")
    link = tmp_path / "music.mp3"
    link.symlink_to(passwd)
    return [passwd, concat, link]


def test_music_that_is_not_media_is_never_copied(sessions, tmp_path, tone):
    for src in not_media(tmp_path, tone):
        with pytest.raises(InputError, match="not readable media") as err:
            sessions.make(REQUEST, name="p8", music=src, opts=opts())
        assert f"music file {str(src)!r}" in str(err.value)  # the user's path, not the copy's name
        assert not sessions.store.folder("p8").exists()  # no copy, no empty session folder


def test_copies_of_the_users_files_are_private(sessions, tmp_path, tone):
    ball = tmp_path / "ball.png"
    Image.fromarray(np.full((32, 32, 3), (200, 30, 30), np.uint8)).save(ball)
    res = sessions.make(REQUEST, name="mine", music=tone, refs={"ball": ball}, opts=opts())
    folder = sessions.store.folder("mine")
    assert (folder / res.project.music).read_bytes() == tone.read_bytes()
    for copy in (folder / res.project.music, folder / "refs" / "ball.png"):
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    for sub in (folder, folder / "audio", folder / "refs", sessions.store.root):
        assert stat.S_IMODE(sub.stat().st_mode) == 0o700


@pytest.mark.parametrize("bad", ["model", "ref", "unreadable ref"])
def test_a_bad_option_saves_nothing(sessions, tmp_path, monkeypatch, bad):
    ref = tmp_path / "ref.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(ref)
    if bad == "ref":
        ref.write_text("not an image")
    if bad == "unreadable ref":
        real_open = open

        def refuse(
            file, mode="r", *a, **kw
        ):  # a file the user may not read (we run as root: simulated)
            if str(file) == str(ref):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, mode, *a, **kw)

        monkeypatch.setattr(paths, "open", refuse, raising=False)
    options = Options(model="foo") if bad == "model" else opts()
    with pytest.raises(InputError, match="unknown model 'foo'|not a readable|cannot be read"):
        sessions.make(REQUEST, name="c9", refs={"ball": ref}, opts=options)
    assert not sessions.store.folder("c9").exists()


def pending_first_turn(sessions: Sessions, model: str) -> Project:
    """A session whose first turn was saved and never ran (what an older longcut left for a bad --model)."""
    project = Project(
        name="c9",
        request=REQUEST,
        seconds=2,
        model=model,
        pending=PendingTurn(n=1, kind="make", request=REQUEST),
    )
    sessions.store.save(project)
    return project


def test_a_pending_first_turn_runs_again_with_corrected_options(sessions):
    pending_first_turn(sessions, "foo")
    with pytest.raises(
        InputError, match=r"unfinished; run it again to resume it, or `longcut undo c9`"
    ):
        sessions.refine("c9", "make it green", opts=opts())
    with pytest.raises(InputError, match="unknown model 'bar'"):
        sessions.make(REQUEST, name="c9", opts=Options(model="bar"))
    assert sessions.store.load("c9").model == "foo"  # a refused option changes nothing
    res = sessions.make(REQUEST, name="c9", opts=opts(model="oracle"))
    assert (
        res.project.model == "oracle"
        and res.project.pending is None
        and len(res.project.revisions) == 1
    )


def test_undo_discards_an_unfinished_turn(sessions):
    pending_first_turn(sessions, "foo")
    turn, rev = sessions.discard("c9")
    assert turn.n == 1 and rev is None and not sessions.store.folder("c9").exists()
    res = sessions.make(REQUEST, name="ball", opts=opts())
    project = sessions.store.load("ball")
    project.storyboard.shots[0].prompt = "a big green circle stays still on a sky background"
    project.pending = PendingTurn(n=2, kind="refine", request="make it green")
    sessions.store.save(project)
    turn, rev = sessions.discard("ball")
    project = sessions.store.load("ball")
    assert (turn.n, rev.n) == (2, 1) and project.pending is None
    assert project.storyboard == res.revision.storyboard
    with pytest.raises(InputError, match="no unfinished turn"):
        sessions.discard("ball")


def test_a_turn_sweeps_the_temporary_files_a_killed_run_left(sessions):
    pending_first_turn(sessions, "oracle")
    left = (
        sessions.store.folder("c9") / "shots" / "s1" / ".0123456789abcdef0123-t1.tmp-0badf00d.mp4"
    )
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half a video")
    long_ago = paths.PROCESS_STARTED - 60
    os.utime(left, (long_ago, long_ago))
    sessions.make(REQUEST, name="c9", opts=opts(model="oracle"))
    assert not left.exists()
