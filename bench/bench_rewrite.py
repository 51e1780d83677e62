"""Rewrite accuracy of the offline planner on paraphrases (issue 5), as JSON.

Sets: hand-written paraphrases with words users say — the original
``paraphrases.jsonl`` (written with the lexicon, so not held out), ``_dev``
(written blind, then used to find gaps) and ``_heldout`` (written blind with
``_dev``, never used to tune) — and captions from the world's own varied
grammar (which the lexicon shares, so near 100% is expected there). For each,
attribute accuracy of (a) the planner's rewrite (lexicon first, MiniLM
fallback) and (b) plain MiniLM nearest-neighbour per attribute over the whole
phrase, the alternative FACTS.md warns about — both in the same run.

``all`` is over colour, shape, motion and background (the first object of the
first shot), comparable across sets; ``rows`` is the share of rows with all
four right. Rows may also carry ``event`` (null: none said) and ``second``
(colour, shape, motion of a second object); these are scored apart: the
planner's event is the first one in any shot, MiniLM's is its answer above
the fallback's threshold (else none); a second object only the planner reads.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from longcut.agent.planning.lexicon import CATEGORY_WORDS, EmbeddingFallback
from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import closed_vocabulary
from longcut.models.world.capabilities import WORLD_VOCABULARY
from longcut.models.world.captions import caption, parse_canonical
from longcut.models.world.scene import sample_scene

KEYS = ("colour", "shape", "motion", "background")


HAND_SETS = {"hand_paraphrases": "paraphrases.jsonl", "hand_dev": "paraphrases_dev.jsonl",
             "hand_heldout": "paraphrases_heldout.jsonl"}
OBJECT_KEYS = ("colour", "shape", "motion")


def hand_set(file: str = "paraphrases.jsonl") -> list[dict]:
    path = Path(__file__).parent / "data" / file
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def grammar_set(n: int = 200) -> list[dict]:
    rng = random.Random(0)
    out = []
    for seed in range(n):
        scene = sample_scene(seed, n_objects=1, event=None)
        a = scene.attributes
        o = a.objects[0]
        out.append({"text": caption(scene, rng), "colour": o.colour, "shape": o.shape, "motion": o.motion,
                    "background": a.background})
    return out


def planner_reading(planner: OfflinePlanner, text: str) -> dict:
    plan = planner.plan(PlanRequest(request=text, seconds=4, vocabulary=closed_vocabulary(WORLD_VOCABULARY)))
    scenes = [parse_canonical(s.prompt) for s in plan.storyboard.shots]
    scene = scenes[0]
    o = scene.objects[0]
    second = scene.objects[1] if len(scene.objects) > 1 else None
    return {"colour": o.colour, "shape": o.shape, "motion": o.motion, "background": scene.background,
            "event": next((sc.event for sc in scenes if sc.event), None),
            "second": {k: getattr(second, k) for k in OBJECT_KEYS} if second else None}


def embedding_reading(fb: EmbeddingFallback, text: str) -> dict:
    loose = EmbeddingFallback(threshold=-1.0, margin=0.0)  # always answer: plain nearest neighbour
    got = {k: (loose.best(text, k) or ("?", 0))[0] for k in KEYS}
    got["event"] = (fb.best(text, "event") or (None, 0))[0]
    return got


def score(items: list[dict], read, max_misses: int = 8) -> dict:
    hits = {k: 0 for k in KEYS}
    rows = 0
    extra = {k: [0, 0] for k in ("event", "second")}  # hits, rows that state it
    misses = []
    for it in items:
        got = read(it["text"])
        wrong = [k for k in KEYS if got[k] != it[k]]
        rows += not wrong
        for k in KEYS:
            hits[k] += k not in wrong
        for k in extra:
            if k in it and k in got:
                extra[k][1] += 1
                extra[k][0] += got[k] == it[k]
                if got[k] != it[k]:
                    wrong.append(k)
        for k in wrong:
            if len(misses) < max_misses:
                misses.append({"text": it["text"], "attribute": k, "expected": it[k], "got": got[k]})
    acc = {k: round(v / len(items), 3) for k, v in hits.items()}
    acc["all"] = round(sum(hits.values()) / (len(items) * len(KEYS)), 3)
    acc["rows"] = round(rows / len(items), 3)
    for k, (h, n) in extra.items():
        if n:
            acc[k] = round(h / n, 3)
            acc[f"{k}_n"] = n
    return {"accuracy": acc, "examples_of_misses": misses}


def main() -> None:
    planner = OfflinePlanner(use_embeddings=True)
    fb = EmbeddingFallback()
    sets = {name: hand_set(file) for name, file in HAND_SETS.items()} | {"grammar_captions": grammar_set()}
    out = {"benchmark": "rewrite", "categories": {k: list(CATEGORY_WORDS[k]) for k in KEYS}}
    for name, items in sets.items():
        t0 = time.perf_counter()
        ours = score(items, lambda t: planner_reading(planner, t))
        t1 = time.perf_counter()
        emb = score(items, lambda t: embedding_reading(fb, t))
        t2 = time.perf_counter()
        out[name] = {"n": len(items), "planner": ours, "minilm_nearest": emb,
                     "planner_ms_per_request": round(1000 * (t1 - t0) / len(items), 1),
                     "minilm_ms_per_request": round(1000 * (t2 - t1) / len(items), 1)}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
