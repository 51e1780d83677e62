"""``longcut generate "<prompt>" --seconds N -o out.mp4``: one shot from the tiny model.

Chunks stream from the backend straight into the video writer, so memory does
not grow with ``--seconds``. The shot's latent ``History`` is saved next to the
output (``out.mp4.history.safetensors``); ``--extend out.mp4`` continues that
shot from it (the new file holds the continuation only; join the two with
``longcut edit`` or any concat).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from longcut.errors import InputError
from longcut.limits import DEFAULT_MODEL

HISTORY_SUFFIX = ".history.safetensors"
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")


def history_path(video: Path) -> Path:
    """Where the latent history of ``video`` is kept."""
    return video.with_name(video.name + HISTORY_SUFFIX)


def load_backend(model: str = DEFAULT_MODEL, weights: Path | None = None):
    """The backend ``generate`` uses: ``--model`` from the registry (tests replace this)."""
    from longcut.models.backends.registry import load_backend as registry_load

    return registry_load(model, weights)


def read_reference(path: str | Path):
    """A reference image file → uint8 (h, w, 3) RGB array."""
    from longcut.tools.images import read_rgb_array

    return read_rgb_array(path, "reference image")


def generate(
    prompt: Annotated[str, typer.Argument(help="What to show, e.g. 'a big red circle moves left quickly on a sky background'.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Video to write (.mp4).")],
    seconds: Annotated[float, typer.Option(help="Length of the shot in seconds.")] = 2.0,
    seed: Annotated[int, typer.Option(help="Seed: same prompt + seed = same video.")] = 0,
    ref: Annotated[list[str] | None, typer.Option("--ref", help="Reference image of an object (repeatable, at most 7).")] = None,
    extend: Annotated[str | None, typer.Option(help="Continue this previously generated video (needs its .history.safetensors).")] = None,
    steps: Annotated[int | None, typer.Option(help="Sampler steps (default: the model's shipped setting).")] = None,
    guidance: Annotated[float | None, typer.Option(help="Classifier-free guidance scale (default: shipped).")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads for torch (1 is fastest on a busy 2-core machine).")] = 1,
    model: Annotated[str, typer.Option("--model", help="Video model backend: tiny, wan-1.3b, wan-vace-1.3b, ltx, … (docs/gpu.md).")] = DEFAULT_MODEL,
    weights: Annotated[Path | None, typer.Option("--weights", help="Local weights folder (diffusers layout) for --model.")] = None,
) -> None:
    """Generate a video shot from text (and reference images) with the tiny model or open weights."""
    import torch

    from longcut.agent.state import check_request
    from longcut.models.backends.base import ClipRequest, History
    from longcut.tools.media import VideoWriter
    from longcut.tools.paths import atomic_output, check_output_path, sweep_stale_temps

    # 1. check inputs before any model loads (the request the same way as `longcut make`)
    prompt = check_request(prompt, seconds, seed)
    output = check_output_path(output, VIDEO_SUFFIXES)
    if threads < 1:
        raise InputError(f"--threads must be at least 1; got {threads}")
    history = None
    if extend is not None:
        hist_file = history_path(Path(extend).expanduser())
        if not hist_file.is_file():
            raise InputError(f"cannot extend {extend!r}: its history {str(hist_file)!r} is missing (was it made by longcut generate?)")
        if Path(extend).expanduser().resolve() == output.resolve():
            raise InputError("--extend and --output must be different files")
        try:
            history = History.load(hist_file)
        except Exception as err:  # a corrupt file is the user's input, not our bug
            raise InputError(f"history {str(hist_file)!r} could not be read: {err}") from err
    refs = tuple(read_reference(p) for p in (ref or []))
    request = ClipRequest(prompt, seconds, seed=seed, references=refs, steps=steps, guidance=guidance)
    for made in (output, history_path(output)):  # a killed earlier run of this output left its temporary files
        sweep_stale_temps(output.parent, stem_of=made)

    # 2. load the model, then stream chunks into the file
    torch.set_num_threads(threads)
    # the default is asked for with no arguments, so a replaced zero-argument loader keeps working
    backend = load_backend(model, weights) if (model, weights) != (DEFAULT_MODEL, None) else load_backend()
    request.check_refs(backend.info)
    info = backend.info
    console = Console(stderr=True)
    last = None
    with Progress(TextColumn("generating"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                  console=console) as bar:
        task = bar.add_task("generate", total=seconds)
        with VideoWriter(output, info.fps, (info.width, info.height)) as writer:
            for chunk in backend.generate(request, history):
                for frame in chunk.frames:
                    writer.write(frame)
                last = chunk
                bar.update(task, completed=min(seconds, writer.frames_written / info.fps))
    if last is not None:
        with atomic_output(history_path(output)) as tmp:
            tmp.write_bytes(last.history.to_bytes())
    console.print(f"wrote {output} ({writer.frames_written} frames at {info.fps} fps)", highlight=False, markup=False)
