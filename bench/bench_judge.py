"""The vision-language judge's cost per minute of video, and its plumbing's agreement with the world evaluator.

Makes ``--clips`` shots with the embedded backend (``tiny`` by default) from
held-out canonical prompts, reviews each with the world evaluator, and asks a
``VisionJudge`` about the same frames over a fake OpenAI-compatible server
whose replies come from a *scripted oracle*: it cuts the contact sheet the
judge sent back into frames and reads them with the world evaluator. The
agreement then measures the plumbing (sampling, the sheet, the request, the
verdict's mapping onto the review), not a vision model. Prints JSON: calls
and tokens per minute of video (the fake counts about four characters a
token, base64 images included: a real endpoint prices an image by its tiles,
so ``image_bytes_per_call`` is reported beside it), agreement, seconds.

    .venv/bin/python bench/bench_judge.py               # 12 clips of 4 s
    .venv/bin/python bench/bench_judge.py --clips 4     # quick look
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fake_openai, as the other benches do

from longcut.models.backends.registry import load_backend  # noqa: E402
from longcut.models.world.captions import canonical_caption  # noqa: E402
from longcut.models.world.scene import sample_scene  # noqa: E402
from longcut.tools.generate import GenerateClipArgs, generate_clip  # noqa: E402
from longcut.tools.judge.config import JudgeConfig  # noqa: E402
from longcut.tools.judge.frames import sample_indices  # noqa: E402
from longcut.tools.judge.vision import VisionJudge  # noqa: E402
from longcut.tools.media import read_frames  # noqa: E402
from longcut.tools.paths import ProjectFolder  # noqa: E402
from longcut.tools.review import ADHERENCE_SECONDS, GATED_ATTRIBUTES, expectation_of, vision_check  # noqa: E402

from tests.fake_openai import FakeOpenAI, Reply, structured  # noqa: E402

SEED0 = 910_000  # scenes the DiT's training bank does not draw (its seeds start at 0)
ELEMENT_OF = {"colour": "subject", "shape": "subject", "motion": "action", "background": "setting"}


def _sheet_frames(body: dict, k: int, size: int, frame: int) -> np.ndarray:
    """The frames of the contact sheet in a judge request, scaled back to the model's ``frame`` px."""
    url = next(p["image_url"]["url"] for p in body["messages"][1]["content"] if p["type"] == "image_url")
    sheet = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    cols = int(np.ceil(np.sqrt(k)))
    tile = min(size, 4 * frame)
    tiles = [sheet.crop(((i % cols) * tile, (i // cols) * tile, (i % cols + 1) * tile, (i // cols + 1) * tile))
             .resize((frame, frame), Image.Resampling.BOX) for i in range(k)]
    return np.stack([np.asarray(t) for t in tiles])


def oracle(reader, k: int, size: int, frame: int):
    """A scripted judge: reads the sheet with the world evaluator and answers as a vision model would."""

    def reply(body: dict) -> Reply:
        text = body["messages"][1]["content"][0]["text"]
        prompt = text.split("<<<PROMPT\n", 1)[1].split("\nPROMPT>>>", 1)[0]
        hits = reader.expect(prompt).hits(_sheet_frames(body, k, size, frame))
        status: dict[str, bool] = {}
        for attr, element in ELEMENT_OF.items():
            if attr in hits:
                status[element] = status.get(element, True) and hits[attr]
        elements = [{"element": e, "status": "present" if ok else "absent", "reason": f"{e} read by the oracle"}
                    for e, ok in status.items()]
        return structured({"elements": elements, "overall": "pass" if all(status.values()) else "fail",
                           "summary": "scripted oracle"})

    return reply


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--frame-size", type=int, default=256)
    args = ap.parse_args()

    model = load_backend(args.model)
    info = model.info
    agree = judged_pass = evaluator_pass = calls = prompt_tokens = completion_tokens = 0
    image_bytes: list[int] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
        folder = ProjectFolder(tmp)
        config = JudgeConfig(mode="vlm", model="oracle", base_url=fake.base_url, frames=args.frames,
                             frame_size=args.frame_size, max_calls=10 * args.clips)
        judge = VisionJudge(config)
        for i in range(args.clips):
            prompt = canonical_caption(sample_scene(SEED0 + i))
            result = generate_clip(GenerateClipArgs(prompt=prompt, seconds=args.seconds, seed=i, out=f"c{i}.mp4"),
                                   folder, model)
            frames = np.stack(list(read_frames(folder.root / result.file)))
            expected = expectation_of(prompt, info.reader)
            window = max(2, round(ADHERENCE_SECONDS * info.fps))
            hits = expected.hits(frames[:window])
            by_evaluator = all(hits[a] for a in GATED_ATTRIBUTES if a in hits)
            k = len(sample_indices(len(frames), args.frames))
            fake.add(oracle(info.reader, k, args.frame_size, info.width))
            verdict = judge.judge(frames, info.fps, prompt)
            by_judge = vision_check(verdict).passed and verdict.verdict.settled() == "pass"
            body = fake.requests[-1]
            image_bytes.append(sum(len(p["image_url"]["url"]) for p in body["messages"][1]["content"]
                                   if p["type"] == "image_url"))
            agree += by_judge == by_evaluator
            judged_pass += by_judge
            evaluator_pass += by_evaluator
            calls += verdict.calls
            prompt_tokens += verdict.prompt_tokens
            completion_tokens += verdict.completion_tokens
    minutes = args.clips * args.seconds / 60
    print(json.dumps({
        "model": args.model, "clips": args.clips, "seconds_per_clip": args.seconds,
        "frames_per_sheet": args.frames, "frame_size": args.frame_size,
        "judge_calls_per_minute": round(calls / minutes, 2),
        "prompt_tokens_per_minute_fake_count": round(prompt_tokens / minutes),
        "completion_tokens_per_minute": round(completion_tokens / minutes),
        "image_bytes_per_call": round(float(np.mean(image_bytes))),
        "agreement_with_evaluator": round(agree / args.clips, 3),
        "evaluator_pass_rate": round(evaluator_pass / args.clips, 3),
        "judge_pass_rate": round(judged_pass / args.clips, 3),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
