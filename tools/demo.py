"""A short demo render from generated media: ``python -m longcut.tools.demo out/demo.mp4``.

Makes three test-pattern clips and a tone with ffmpeg (no downloads, no
model), then renders a timeline with a crossfade, a wipe, a title and a
music track. ``setup.sh`` runs it to prove the install works end to end.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import run_ffmpeg
from longcut.tools.timeline import Timeline, render

log = logging.getLogger(__name__)

_SOURCES = {
    "pattern.mp4": "testsrc2=size=320x180:rate=24:duration=3",
    "bars.mp4": "smptebars=size=320x180:rate=24:duration=3",
    "cells.mp4": "cellauto=size=320x180:rate=24:rule=110",
}


def make_sources(folder: Path) -> None:
    """Write the demo's clips (3 s each) and a 6 s tone into ``folder``."""
    for name, source in _SOURCES.items():
        run_ffmpeg(["-y", "-f", "lavfi", "-i", source, "-t", "3", "-c:v", "libx264",
                    "-preset", "veryfast", "-pix_fmt", "yuv420p", str(folder / name)],
                   f"make demo clip {name}")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=6", "-c:a", "aac",
                str(folder / "tone.m4a")], "make demo tone")


def demo_timeline() -> Timeline:
    """The demo edit: three clips, two transitions, a title, a faded tone."""
    return Timeline.model_validate({
        "width": 320, "height": 180, "fps": 24,
        "clips": [
            {"source": "pattern.mp4"},
            {"source": "bars.mp4", "transition": {"kind": "fade", "duration": 0.75}},
            {"source": "cells.mp4", "transition": {"kind": "wipeleft", "duration": 0.5}},
        ],
        "overlays": [
            {"type": "text", "text": "longcut demo", "start": 0.5, "end": 3.0,
             "position": "bottom", "font_size": 24, "box": True},
        ],
        "audio": [{"source": "tone.m4a", "volume": 0.3, "fade_in": 0.5, "fade_out": 1.0}],
    })


def main(argv: list[str] | None = None) -> int:
    """Render the demo to the path given as the only argument."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if len(args) != 1:
        log.error("usage: python -m longcut.tools.demo OUT.mp4")
        return 2
    out = Path(args[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="longcut-demo-") as tmp:
        make_sources(Path(tmp))
        project = ProjectFolder(tmp)
        tl = demo_timeline().resolved(project)
        render(tl, out, project)
    log.info("demo: %s (%.2fs, %dx%d)", out, tl.duration, tl.width, tl.height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
