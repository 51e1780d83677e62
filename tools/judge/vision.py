"""``VisionJudge``: asks an OpenAI-compatible vision model whether a shot's frames show its prompt.

One chat completion per judged take (a contact sheet of K frames, the
references, the prompt as quoted data), answered in strict ``json_schema``
mode; a malformed reply goes back to the model with what was wrong, at most
``repair_rounds`` times. A refusal, a timeout, an endpoint error or a reply
still malformed after the rounds gives an "unsure" verdict, never an error:
the review then neither passes nor fails the shot on it. Calls are capped per
request (``max_calls``, counted across every chain that shares the judge).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import openai
from PIL import Image
from pydantic import ValidationError

from longcut import prompts
from longcut.errors import InputError
from longcut.tools.judge.config import JUDGE_API_KEY_ENV, JUDGE_BASE_URL_ENV, JudgeConfig
from longcut.tools.judge.frames import contact_sheet, data_url, image_fitted, sample_indices
from longcut.tools.judge.verdict import Verdict, unsure, verdict_response_format

log = logging.getLogger(__name__)
LOCAL_API_KEY = "not-needed"  # local servers ignore the key, but the client insists on one


@dataclass(frozen=True)
class Judged:
    """A verdict and what getting it cost."""

    verdict: Verdict
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def judge_endpoint(config: JudgeConfig) -> tuple[str | None, str | None]:
    """The base URL and API key a config resolves to (from the environment where it names none)."""
    base_url = config.base_url or os.environ.get(JUDGE_BASE_URL_ENV) or None
    key = next((os.environ[v] for v in JUDGE_API_KEY_ENV if os.environ.get(v)), None)
    return base_url, key or (LOCAL_API_KEY if base_url else None)


class VisionJudge:
    """A vision-language judge over one endpoint, with a call cap shared by every shot of a request."""

    def __init__(self, config: JudgeConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        if client is None:
            base_url, key = judge_endpoint(config)
            if key is None:
                raise InputError(
                    f"the vlm judge needs an endpoint: give --judge-base-url (or ${JUDGE_BASE_URL_ENV}) for a local "
                    f"OpenAI-compatible vision server, or set {' or '.join(JUDGE_API_KEY_ENV)} for api.openai.com")
            client = openai.OpenAI(base_url=base_url, api_key=key, timeout=config.timeout, max_retries=0)
        self.client = client
        self._lock = threading.Lock()
        self.calls = 0

    def _reserve(self) -> bool:
        with self._lock:
            if self.calls >= self.config.max_calls:
                return False
            self.calls += 1
            return True

    def messages(self, frames: np.ndarray, fps: float, prompt: str, refs: dict[str, Image.Image]) -> list[dict]:
        """The request's messages: the instructions, then the prompt as data, the sheet, each reference."""
        indices = sample_indices(len(frames), self.config.frames)
        sheet = contact_sheet(frames, indices, self.config.frame_size)
        text = prompts.render("judge_user", prompt=prompt, frames=len(indices), refs=list(refs),
                              seconds=f"{len(frames) / max(fps, 1e-6):.1f}")
        content: list[dict] = [{"type": "text", "text": text},
                               {"type": "image_url", "image_url": {"url": data_url(sheet)}}]
        for name, image in refs.items():
            content.append({"type": "text", "text": f"reference {name}:"})
            content.append({"type": "image_url",
                            "image_url": {"url": data_url(image_fitted(image, self.config.frame_size))}})
        return [{"role": "system", "content": prompts.render("judge_system")}, {"role": "user", "content": content}]

    def judge(self, frames: np.ndarray, fps: float, prompt: str,
              refs: dict[str, Image.Image] | None = None) -> Judged:
        """The verdict on one shot's frames (``T×H×W×3`` uint8); never raises on the endpoint's account."""
        messages = self.messages(frames, fps, prompt, refs or {})
        calls = prompt_tokens = completion_tokens = 0

        def done(verdict: Verdict) -> Judged:
            log.info("judge: %s (%s)", verdict.settled(), verdict.reasons())
            return Judged(verdict, calls, prompt_tokens, completion_tokens)

        for _ in range(self.config.repair_rounds + 1):
            if not self._reserve():
                return done(unsure(f"the judge's cap of {self.config.max_calls} calls per request is reached"))
            calls += 1
            try:
                resp = self.client.chat.completions.create(
                    model=self.config.model, messages=messages, response_format=verdict_response_format(),
                    temperature=0)
            except openai.APIError as err:  # timeouts, connection and HTTP errors, unusable replies
                return done(unsure(f"the judge endpoint failed: {type(err).__name__}: {err}"))
            if resp.usage is not None:
                prompt_tokens += resp.usage.prompt_tokens or 0
                completion_tokens += resp.usage.completion_tokens or 0
            message = resp.choices[0].message if resp.choices else None
            if message is None:
                return done(unsure("the judge endpoint sent no answer"))
            if message.refusal:
                return done(unsure(f"the judge refused: {message.refusal}"))
            try:
                return done(Verdict.model_validate_json(message.content or ""))
            except ValidationError as err:
                problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in err.errors()[:5])
                messages = [*messages, {"role": "assistant", "content": message.content or ""},
                            {"role": "user", "content": f"That reply is not a valid verdict ({problem}). "
                                                        "Answer again with the JSON verdict only."}]
        return done(unsure(f"the judge's replies were malformed after {self.config.repair_rounds} repair round(s)"))


def doctor_check() -> tuple[str, bool, str]:
    """``longcut doctor``'s row: where ``--judge vlm`` would send frames (nothing is contacted; no key is shown)."""
    base_url, key = judge_endpoint(JudgeConfig(mode="vlm"))
    if key is None:
        return ("vision judge", True, "not configured (optional): --judge vlm needs --judge-base-url URL or "
                f"${JUDGE_BASE_URL_ENV}, or an API key for api.openai.com; the tiny model's evaluator judges without one")
    where = urlsplit(base_url)._replace(netloc=urlsplit(base_url).netloc.rpartition("@")[2]).geturl() \
        if base_url else "api.openai.com (an API key is set)"  # credentials in a URL are not shown
    return "vision judge", True, f"--judge vlm would use {where}"
