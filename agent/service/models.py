"""Request and response bodies of the job API (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from longcut.agent.state import PlannerName
from longcut.limits import DEFAULT_SECONDS, MAX_VIDEO_SECONDS, MIN_VIDEO_SECONDS, SEED_LIMIT
from longcut.tools.narration.speaker import check_voice

ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # job and upload ids (made by the server)
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"  # session and reference names


class _In(BaseModel):
    # NaN and ±Infinity (which JSON parsers accept) are refused in every number field.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class JobOptions(_In):
    """How to run a job; each defaults to the server's first allowed value."""

    model: str | None = Field(None, max_length=200, description="A model the server allows.")
    planner: PlannerName | None = None
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
    keep_continuity: bool = Field(False, description="Never cut inside a continuous run of shots (by default a "
                                  "continuous shot whose extensions all fail gets one fresh try: a cut).")
    plan_id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{15,39}$",
                                description="Generate this plan (POST /v1/plans) exactly as it was made; the "
                                "request must be the plan's, its model, planner, length and seed are the plan's.")
    max_minutes: float | None = Field(None, gt=0, le=1e6, description="Refuse a plan estimated over this many "
                                      "minutes; stop at the next chunk past them (finished takes kept).")
    max_usd: float | None = Field(None, gt=0, le=1e6, description="The same for LLM dollars (the price table).")
    max_tries: int | None = Field(None, ge=1, le=100000, description="The same for takes generated (retries count).")
    judge: Literal["none", "evaluator", "vlm"] | None = Field(
        None, description="Who reviews each shot: the backend's evaluator (the default where it has one), the "
        "server's vision-language judge (vlm: only where the operator configured one), or none.")
    narrate: bool = Field(False, description="A narrator speaks a line per shot (quoted text in the request "
                          "verbatim, else the shot's words), offline; subtitled (a soft track and .srt/.vtt "
                          "files), the music ducked under the voice.")
    voice: Annotated[str, AfterValidator(check_voice)] | None = Field(
        None, max_length=40, description="The narrator's voice, an espeak-ng voice name (en, en-us, en+f3, …); "
        "implies narrate.")
    burn_subtitles: bool = Field(False, description="Also draw the narration's subtitles into the picture; "
                                 "implies narrate.")


NOT_BLANK = r"\S"  # at least one character that is not white space: a blank request is refused here, not by the worker


class ReferenceIn(_In):
    """A reference image: an upload id, and the name the request uses for it (e.g. ``hero``)."""

    name: str = Field(pattern=SLUG_PATTERN)
    upload_id: str = Field(pattern=ID_PATTERN)


class JobRequest(_In):
    """A new video."""

    request: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK,
                         description="What the video shows, in plain words.")
    seconds: float | None = Field(None, ge=MIN_VIDEO_SECONDS, le=MAX_VIDEO_SECONDS,
                                  description=f"Length; default: from the request, else {DEFAULT_SECONDS:g}.")
    options: JobOptions = Field(default_factory=JobOptions)
    references: list[ReferenceIn] = Field(default_factory=list)


class TurnRequest(_In):
    """Feedback on a session's latest draft."""

    feedback: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    planner: PlannerName | None = None


class Progress(BaseModel):
    """The latest progress event."""

    stage: str | None = None
    message: str = ""
    percent: float = 0.0
    shot: str | None = None
    shot_index: int | None = None
    shots: int | None = None
    attempt: int | None = Field(None, description="The shot's try: 1 is the first, 2 and on are retries.")


class JobOut(BaseModel):
    """A job as its owner sees it."""

    id: str
    kind: Literal["make", "refine"]
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    session: str
    request: dict[str, Any]
    created: str
    started: str | None = None
    finished: str | None = None
    attempts: int
    cancel_requested: bool
    progress: Progress
    storyboard: dict[str, Any] | None = None
    revision: int | None = None
    error: str | None = None
    result: dict[str, str] | None = Field(None, description="URLs of the video and project JSON, and of a "
                                            "narrated video's subtitles (subtitles_srt, subtitles_vtt), once succeeded.")
    cost: dict[str, Any] | None = Field(None, description="What the job's turn cost per shot and in all (wall and "
                                        "CPU seconds, tries, chunks, LLM tokens, dollars) beside its estimate.")


class PlanOut(BaseModel):
    """A plan: the storyboard a job would generate and what it would cost; nothing is generated."""

    id: str = Field(description="Pass it as options.plan_id of POST /v1/jobs to generate it.")
    created: str
    request: dict[str, Any]
    storyboard: dict[str, Any]
    references: list[dict[str, Any]]
    generate: list[str] = Field(description="Shot ids a job would generate.")
    estimate: dict[str, Any] = Field(description="Wall seconds, tries, LLM tokens and dollars, per shot and in all; "
                                     "calibrated from this server's own records once it has some.")


class JobPage(BaseModel):
    """One page of jobs, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    jobs: list[JobOut]
    next_cursor: str | None = None


class UploadOut(BaseModel):
    """A stored reference image."""

    id: str
    bytes: int
    width: int
    height: int
    format: str


class RevisionOut(BaseModel):
    """A finished turn of a session."""

    n: int
    at: str
    request: str
    seconds: float
    shots: int
    regenerated: list[str]


class SessionOut(BaseModel):
    """A session: its revisions and the jobs that made them."""

    name: str
    model: str
    revisions: list[RevisionOut]
    jobs: list[dict[str, str]]
    narration: dict[str, Any] | None = Field(None, description="How the latest storyboard's lines are spoken and "
                                             "shown (voice, rate, lead, subtitles), when it is narrated.")
    storyboard: dict[str, Any] | None = Field(None, description="The storyboard now (the latest revision's, or an unfinished turn's).")


class ErrorOut(BaseModel):
    """Every error reply."""

    detail: str | list[Any]
    limit: str | None = None
