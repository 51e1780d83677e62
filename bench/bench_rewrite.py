"""Rewrite accuracy of the offline planner on paraphrases (issue 5), as JSON.

Two sets: hand-written paraphrases with words users say (bench/data/
paraphrases.jsonl) and captions from the world's own varied grammar (which
the lexicon shares, so near 100% is expected there). For each, attribute
accuracy of (a) the planner's rewrite (lexicon first, MiniLM fallback) and
(b) plain MiniLM nearest-neighbour per attribute over the whole phrase, the
alternative FACTS.md warns about — both in the same run.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from longcut.agent.lexicon import CATEGORY_WORDS, EmbeddingFallback
from longcut.agent.planner import ModelVocabulary, PlanRequest
from longcut.agent.planner_offline import OfflinePlanner
from longcut.models.world import sample_scene
from longcut.models.world_captions import caption, parse_canonical

KEYS = ("colour", "shape", "motion", "background")


def hand_set() -> list[dict]:
    path = Path(__file__).parent / "data" / "paraphrases.jsonl"
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
    plan = planner.plan(PlanRequest(request=text, seconds=4, vocabulary=ModelVocabulary(guide="")))
    scene = parse_canonical(plan.storyboard.shots[0].prompt)
    o = scene.objects[0]
    return {"colour": o.colour, "shape": o.shape, "motion": o.motion, "background": scene.background}


def embedding_reading(fb: EmbeddingFallback, text: str) -> dict:
    loose = EmbeddingFallback(threshold=-1.0, margin=0.0)  # always answer: plain nearest neighbour
    return {k: (loose.best(text, k) or ("?", 0))[0] for k in KEYS}


def score(items: list[dict], read) -> dict:
    hits = {k: 0 for k in KEYS}
    misses = []
    for it in items:
        got = read(it["text"])
        for k in KEYS:
            if got[k] == it[k]:
                hits[k] += 1
            elif len(misses) < 8:
                misses.append({"text": it["text"], "attribute": k, "expected": it[k], "got": got[k]})
    acc = {k: round(v / len(items), 3) for k, v in hits.items()}
    acc["all"] = round(sum(hits.values()) / (len(items) * len(KEYS)), 3)
    return {"accuracy": acc, "examples_of_misses": misses}


def main() -> None:
    planner = OfflinePlanner(use_embeddings=True)
    fb = EmbeddingFallback()
    sets = {"hand_paraphrases": hand_set(), "grammar_captions": grammar_set()}
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
