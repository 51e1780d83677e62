"""The judge's structured verdict, as the model must write it (strict ``json_schema``), and as a review check."""

from __future__ import annotations

from typing import Any, Literal

import openai
from pydantic import BaseModel, ConfigDict, Field

ELEMENTS: tuple[str, ...] = ("subject", "action", "setting", "style", "reference")
Status = Literal["present", "absent", "unsure"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ElementVerdict(_Strict):
    """One requested element of the shot, as the frames show it."""

    element: Literal["subject", "action", "setting", "style", "reference"]
    status: Status
    reason: str = Field(max_length=500)


class Verdict(_Strict):
    """The whole verdict: each requested element, and whether the shot shows what was asked."""

    elements: list[ElementVerdict]
    overall: Literal["pass", "fail", "unsure"]
    summary: str = Field(max_length=1000)

    @property
    def absent(self) -> list[str]:
        """The elements the frames do not show."""
        return [e.element for e in self.elements if e.status == "absent"]

    def settled(self) -> str:
        """The verdict the review acts on: a fail needs an element reported absent, else it is unsure.

        The structure decides, not the word alone: a "pass" with an absent
        element is a fail, a "fail" naming nothing absent is unsure (so text
        in a frame cannot talk the judge into either without the elements
        agreeing).
        """
        if self.absent:
            return "fail"
        if self.overall == "pass" and any(e.status == "present" for e in self.elements):
            return "pass"
        return "unsure"

    def reasons(self) -> str:
        """The reasons of the elements reported absent (or the summary), one phrase each."""
        lines = [f"{e.element} absent ({e.reason})" for e in self.elements if e.status == "absent"]
        return "; ".join(lines) or self.summary


def unsure(why: str) -> Verdict:
    """The verdict when the judge could not answer (refusal, timeout, malformed replies, cap reached)."""
    return Verdict(elements=[], overall="unsure", summary=why[:1000])


def verdict_response_format() -> dict[str, Any]:
    """The strict ``json_schema`` response format for ``Verdict``."""
    schema = openai.pydantic_function_tool(Verdict, name="verdict")["function"]["parameters"]
    return {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True, "schema": schema}}
