"""One turn at a time per session, across real processes (an OS file lock)."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.store import ProjectStore
from longcut.agent.turn.session import Options, SessionBusy, Sessions

from tests.fakes import WorldOracleModel

REPO = Path(__file__).resolve().parents[2]
REQUEST = "a 8-second video: a red ball crosses a meadow, then it bounces"

# A turn in its own process. With HOLD set it stops at its first shots event
# until the file GO exists, so the test knows it holds the session's lock.
TURN = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from longcut.agent.planning.offline import OfflinePlanner
    from longcut.agent.turn.session import Options, Sessions, SessionBusy
    from longcut.agent.store import ProjectStore
    from tests.fakes import WorldOracleModel

    home, kind, name, text, wait = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "wait"
    hold = os.environ.get("HOLD")

    def listener(e):
        if hold and e.stage == "shots":
            Path(hold).touch()
            while not (home / "GO").exists():
                time.sleep(0.05)

    model = WorldOracleModel()
    opts = Options(video_model=model, planner_impl=OfflinePlanner(use_embeddings=False), candidates=1,
                   listeners=[listener])
    sessions = Sessions(ProjectStore(home / "projects"), checkpoints=home / "ck.sqlite", wait=wait)
    try:
        res = sessions.make(text, name=name, opts=opts) if kind == "make" else sessions.refine(name, text, opts)
    except SessionBusy as err:
        print(err)
        sys.exit(3)
    print(f"revision {res.revision.n} calls {len(model.calls)} render {res.render.name}")
""")


def start(home: Path, kind: str, name: str, text: str, wait: bool = False, hold: Path | None = None):
    env = dict(os.environ, PYTHONPATH=str(REPO), **({"HOLD": str(hold)} if hold else {}))
    return subprocess.Popen([sys.executable, "-c", TURN, str(home), kind, name, text, "wait" if wait else "no"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def until(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the holding turn ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail("the holding turn never started its shots")
        time.sleep(0.05)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out + err


def test_concurrent_refines_of_one_session_run_one_at_a_time(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    Sessions(store, checkpoints=tmp_path / "ck.sqlite").make(REQUEST, name="ball", opts=Options(
        video_model=WorldOracleModel(), planner_impl=OfflinePlanner(use_embeddings=False), candidates=1))
    held = tmp_path / "held"
    first = start(tmp_path, "refine", "ball", 'add a title "AAA"', hold=held)
    until(held, first)
    refused = start(tmp_path, "refine", "ball", 'add a title "BBB"')
    code, out = finish(refused)
    assert code == 3 and "session 'ball' is busy" in out and "--wait" in out, out
    waiting = start(tmp_path, "refine", "ball", 'add a title "BBB"', wait=True)
    time.sleep(3)
    assert waiting.poll() is None  # it waits for the first turn
    (tmp_path / "GO").touch()
    (code1, out1), (code2, out2) = finish(first), finish(waiting)
    assert code1 == 0 and "revision 2" in out1 and "turn-2.mp4" in out1, out1
    assert code2 == 0 and "revision 3" in out2 and "turn-3.mp4" in out2, out2
    revisions = store.load("ball").revisions
    assert [(r.n, r.storyboard.title, r.render) for r in revisions] == [
        (1, None, "renders/turn-1.mp4"), (2, "AAA", "renders/turn-2.mp4"), (3, "BBB", "renders/turn-3.mp4")]


def test_a_second_identical_make_waits_and_generates_nothing(tmp_path):
    held = tmp_path / "held"
    first = start(tmp_path, "make", "ball", REQUEST, hold=held)
    until(held, first)
    refused = start(tmp_path, "make", "ball", REQUEST)
    code, out = finish(refused)
    assert code == 3 and "busy" in out, out
    second = start(tmp_path, "make", "ball", REQUEST, wait=True)
    time.sleep(2)
    assert second.poll() is None
    (tmp_path / "GO").touch()
    (code1, out1), (code2, out2) = finish(first), finish(second)
    assert code1 == 0 and "calls 2" in out1, out1  # the first made both shots
    assert code2 == 0 and "revision 1 calls 0" in out2, out2  # the second found the finished turn


def test_the_lock_is_reentrant_in_one_sessions_object_and_refuses_another(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    a, b = Sessions(store), Sessions(store)
    with a.lock("ball"), a.lock("ball"):
        with pytest.raises(SessionBusy, match="busy"):
            b.undo("ball")
    assert not (tmp_path / "projects" / "ball").exists()  # the lock makes no project folder
    with pytest.raises(Exception, match="no session 'ball'"):
        b.undo("ball")  # free again: the real error
