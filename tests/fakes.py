"""Test doubles shared by agent and tool tests.

``WorldOracleModel`` is a ``VideoModel`` that renders exactly the world scene
a canonical prompt names (via the procedural world), chunk by chunk, with a
small fake latent history. It lets graph and tool tests check the agent's
behaviour (what was generated, cached, reviewed) without training a model.
It is never used by the product, which runs the real tiny model.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace

import numpy as np
import torch

from longcut.models.backends.base import Chunk, ClipRequest, History, ModelInfo
from longcut.models.world.capabilities import WORLD_READER, WORLD_VOCABULARY
from longcut.models.world.captions import parse_canonical
from longcut.models.world.scene import render_frames, sample_scene
from longcut.models.world.vocab import FPS

CHUNK_FRAMES = 16


class WorldOracleModel:
    """Renders the prompt's scene; records every call so tests can count generations."""

    def __init__(self, fail_prompts: set[str] | None = None, chunk_frames: int = CHUNK_FRAMES) -> None:
        self.calls: list[ClipRequest] = []
        self.images: list[str] = []
        self.fail_prompts = fail_prompts or set()  # render a wrong colour for these
        self._info = ModelInfo("oracle", FPS, 64, 64, max_refs=7, chunk_frames=chunk_frames, weights_id="oracle-1",
                               vocabulary=WORLD_VOCABULARY, reader=WORLD_READER)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _scene(self, prompt: str, seed: int):
        attrs = parse_canonical(prompt)
        objects = [asdict(o) for o in attrs.objects]
        for o in objects:
            if o["speed"] is None:
                o.pop("speed")
            if prompt in self.fail_prompts:
                o["colour"] = "blue" if o["colour"] != "blue" else "red"
                if o.get("pattern_colour") == o["colour"]:
                    o["pattern_colour"] = "white"
        return sample_scene(seed, objects=objects, background=attrs.background, event=attrs.event)

    def generate_image(self, prompt, seed=0, references=()):
        self.images.append(prompt)
        return render_frames(self._scene(prompt, seed), 0, 1)[0]

    def generate(self, request: ClipRequest, history: History | None = None, on_step=None):
        request.check_refs(self.info)
        self.calls.append(request)
        scene = self._scene(request.prompt, request.seed)
        total = max(1, round(request.seconds * FPS))
        start = 0 if history is None else history.frames_done
        done = 0
        key = int(hashlib.sha256(request.prompt.encode()).hexdigest()[:8], 16)
        while done < total:
            n = min(self.info.chunk_frames, total - done)
            frames = render_frames(scene, start + done, n)
            latents = torch.full((1, 4, 1, 8, 8), float(key % 97))
            if history is None:
                history = History(latents.clone(), latents.clone(), 0, keep=4)
            history = history.appended(latents, n)
            yield Chunk(index=done // self.info.chunk_frames, start_frame=start + done, frames=np.asarray(frames),
                        latents=latents, history=history)
            done += n


class BadExtensionModel(WorldOracleModel):
    """Draws the wrong colour whenever it extends a history; fresh openings are right."""

    def __init__(self):
        super().__init__()
        self.extended: list[bool] = []

    def generate(self, request, history=None, on_step=None):
        self.extended.append(history is not None)
        if history is None:
            yield from super().generate(request, history, on_step)
            return
        self.fail_prompts = {request.prompt}
        try:
            yield from super().generate(request, history, on_step)
        finally:
            self.fail_prompts = set()


class EyelessModel(WorldOracleModel):
    """The oracle without an evaluator: a backend whose frames only a vision judge can read (as Wan's, LTX's)."""

    def __init__(self) -> None:
        super().__init__()
        self._info = replace(self._info, reader=None, weights_id="eyeless-1")


class SlowOracleModel(WorldOracleModel):
    """The oracle taking a while per chunk: a chain that is still running when a test cancels it."""

    CHUNK_SECONDS = 0.4

    def generate(self, request, history=None, on_step=None):
        import time

        for chunk in super().generate(request, history, on_step):
            time.sleep(self.CHUNK_SECONDS)
            yield chunk


class DyingOracleModel(WorldOracleModel):
    """The oracle whose process dies (``os._exit``) the first time any instance extends a history.

    ``weights`` is a folder that says it already died (a file ``died`` in
    it), so the worker a test kills this way dies once, mid-chain, and its
    restart goes on. Loaded by the registry as ``tests.fakes:DyingOracleModel``.
    """

    def __init__(self, weights=None) -> None:
        super().__init__()
        self.folder = weights

    def generate(self, request, history=None, on_step=None):
        import os
        from pathlib import Path

        if history is not None and self.folder is not None:
            try:
                os.close(os.open(Path(self.folder) / "died", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                os._exit(1)  # as a worker killed mid-chain: no clean-up, no exception
        yield from super().generate(request, history, on_step)
