import signal
import subprocess
import sys
import time

import pytest

from longcut.tools.runner import stderr_tail

from tests.procs import children, survivors


def test_stderr_tail_keeps_the_lines_that_say_why():
    dump = "\n".join(
        f"  Stream #0:{i}: Video: h264, 64x64, 8 fps, lots of detail" for i in range(60)
    )
    text = (
        dump + "\n[out#0/mp4] Error opening output /proc/.v.mp4: No such file or directory\n"
        "Error opening output file /proc/.v.mp4.\nError opening output files: No such file or directory\n"
    )
    tail = stderr_tail(text.encode())
    assert tail.endswith("Error opening output files: No such file or directory")
    assert "Error opening output /proc/.v.mp4" in tail and len(tail) < 400


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_ffmpeg_dies_with_a_killed_parent():
    # a parent that runs a 10-minute real-time encode, then is killed with SIGKILL (no cleanup can run)
    code = (
        "from longcut.tools.runner import run_ffmpeg\n"
        "run_ffmpeg(['-re', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=8:d=600', '-f', 'null', '-'], 'x')"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not (kids := children(parent.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kids, "ffmpeg did not start"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert not survivors(kids), "the encoder outlived its parent"
