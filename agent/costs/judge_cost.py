"""What a vision-language judge is expected to spend on a turn: one call per take, tokens as measured.

Per call, the tokens come from the judge's records on this machine (each
take's ``TakeCost.judge``, over the store's recent projects) and, before any
is recorded, from a prior: one contact sheet of six 256-px frames is about
1,100 prompt tokens at a hosted model's tile prices, plus the instructions,
and a verdict about 150 completion tokens. Calls are the expected tries, at
most the request's cap.
"""

from __future__ import annotations

import math

from longcut.agent.costs.calibrate import recent_projects
from longcut.agent.costs.record import LLMUsage
from longcut.agent.store import ProjectStore

PRIOR_PROMPT_TOKENS = 1100.0  # per call, until the store has a judged take
PRIOR_COMPLETION_TOKENS = 150.0


def tokens_per_call(store: ProjectStore) -> tuple[float, float, int]:
    """Mean prompt and completion tokens per judge call in the store's records, and the calls they rest on."""
    calls = prompt = completion = 0
    for project in recent_projects(store):
        for take in project.versions:
            if take.cost is not None and take.cost.judge.calls:
                calls += take.cost.judge.calls
                prompt += take.cost.judge.prompt_tokens
                completion += take.cost.judge.completion_tokens
    if not calls:
        return PRIOR_PROMPT_TOKENS, PRIOR_COMPLETION_TOKENS, 0
    return prompt / calls, completion / calls, calls


def expected_judge_usage(store: ProjectStore, tries: float, max_calls: int) -> LLMUsage:
    """The judge's expected use on a turn expected to take ``tries`` takes."""
    calls = min(max_calls, math.ceil(tries))
    prompt, completion, _ = tokens_per_call(store)
    return LLMUsage(calls=calls, prompt_tokens=round(prompt * calls), completion_tokens=round(completion * calls))
