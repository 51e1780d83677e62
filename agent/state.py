"""The project: everything longcut knows about one video, as typed JSON.

A project on disk is a folder::

    project.json            this model, written atomically
    refs/<id>.png           reference images (generated or supplied)
    shots/<id>/<key>.mp4    one file per shot version (+ .history.safetensors latents)
    renders/                final renders

State is append-only (STYLE.md habit 10): a shot's versions are records that
are never overwritten, and each finished make/refine turn appends a
``Revision`` holding the storyboard it rendered, so ``undo`` is a lookup.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from longcut.agent.costs.record import TakeCost, TurnCost
from longcut.errors import InputError
from longcut.limits import (
    DEFAULT_MODEL,
    DEFAULT_PLANNER,
    MAX_REFS,
    MAX_REQUEST_CHARS,
    MAX_VIDEO_SECONDS,
    MIN_VIDEO_SECONDS,
    PLANNERS,
    SEED_LIMIT,
)
from longcut.tools.narration.speaker import DEFAULT_WPM, ENGINE_NAMES, MAX_WPM, MIN_WPM, check_voice
from longcut.tools.overlay_text import check_overlay_text
from longcut.tools.timeline import MAX_SPEED, MIN_SPEED, Look

# 2: shots gained trims, speed and a look, the storyboard fades and a music mix
# (all optional with defaults that change nothing, so a version-1 file loads as it is).
# 3: shots gained a narration line, the storyboard how it is spoken and shown (issue 16).
SCHEMA_VERSION = 3
MAX_FADE_SECONDS = 10.0
MAX_MUSIC_FADE_SECONDS = 30.0
MAX_SHOTS = 200

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ShortText = Annotated[str, StringConstraints(max_length=MAX_REQUEST_CHARS)]
Caption = Annotated[ShortText, AfterValidator(check_overlay_text)]  # a title or caption, drawn over the video
MAX_LINE_CHARS = 1000
# A narration line: spoken verbatim and shown as a subtitle, so the same characters as a caption.
NarrationLine = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE_CHARS),
                          AfterValidator(check_overlay_text)]
MAX_NARRATION_LEAD = 2.0

PlannerName = Literal[PLANNERS]  # type: ignore[valid-type]  # Literal of a tuple: each of its strings
TransitionKind = Literal["cut", "fade", "dissolve", "wipeleft", "wiperight", "slideleft", "slideright", "circleopen", "fadeblack"]


def now() -> str:
    """UTC timestamp, ISO 8601, second precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def slugify(text: str, fallback: str = "item") -> str:
    """A lower-case id made of letters, digits, '-' and '_' (what ``Slug`` accepts)."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return s or fallback


def check_request(request: str, seconds: float | None = None, seed: int = 0) -> str:
    """Check what a user asks for, the same way for ``make`` and ``generate``; returns the stripped request.

    The request must say something (at most ``MAX_REQUEST_CHARS``), the
    length (when given) pass ``check_video_seconds``, the seed be in
    [0, ``SEED_LIMIT``).
    """
    text = request.strip() if isinstance(request, str) else ""
    if not text:
        raise InputError("the request is empty; describe the video, e.g. 'a red ball bounces on grass'")
    if len(text) > MAX_REQUEST_CHARS:
        raise InputError(f"the request is {len(text)} characters long; at most {MAX_REQUEST_CHARS} are allowed")
    if seconds is not None:
        check_video_seconds(seconds)
    if not (isinstance(seed, int) and 0 <= seed < SEED_LIMIT):
        raise InputError(f"seed must be in [0, {SEED_LIMIT - 1}], got {seed!r}")
    return text


class StrictModel(BaseModel):
    """Base for state models: unknown fields are an error, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Transition(StrictModel):
    """How a shot hands over to the next one."""

    kind: TransitionKind = "cut"
    seconds: float = Field(0.0, ge=0.0, le=5.0)

    @model_validator(mode="after")
    def _cut_has_no_length(self) -> Transition:
        if self.kind == "cut" and self.seconds:
            raise ValueError("a cut has no duration; use seconds=0 or another kind")
        if self.kind != "cut" and self.seconds <= 0:
            raise ValueError(f"a {self.kind!r} transition needs seconds > 0")
        return self


class Reference(StrictModel):
    """A subject that recurs across shots, pinned by an image."""

    id: Slug
    description: ShortText
    image: str | None = None  # path relative to the project folder, once it exists
    source: Literal["generated", "supplied"] = "generated"
    sha256: str | None = None  # of the image bytes: part of every shot key that uses it


def check_video_seconds(seconds: float, what: str = "seconds") -> float:
    """``seconds`` if it is a video length we make, else a clear ``InputError`` (NaN included)."""
    if not MIN_VIDEO_SECONDS <= seconds <= MAX_VIDEO_SECONDS:
        raise InputError(f"{what} must be between {MIN_VIDEO_SECONDS:g} and {MAX_VIDEO_SECONDS:g} "
                         f"seconds, got {seconds:g}")
    return seconds


class Shot(StrictModel):
    """One shot of the storyboard: what the user meant and what the model is asked."""

    id: Slug
    intent: ShortText  # the user's words for this shot
    prompt: ShortText  # rewritten into the model's vocabulary
    seconds: float = Field(gt=0.0, le=MAX_VIDEO_SECONDS)  # a draft shot; planners split it into parts of 60 s
    refs: list[Slug] = Field(default_factory=list, max_length=MAX_REFS)
    continuous: bool = False  # extend the previous shot's latent history instead of cutting
    transition: Transition = Field(default_factory=Transition)  # into the next shot
    caption: Caption | None = None  # burned-in text while the shot plays
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
    # How the take is shown, not what is generated (none of these is in the shot key):
    trim_start: float = Field(0.0, ge=0.0, le=MAX_VIDEO_SECONDS)  # seconds of the take cut off its start
    trim_end: float = Field(0.0, ge=0.0, le=MAX_VIDEO_SECONDS)  # seconds cut off its end
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)  # playback speed: 2 = twice as fast
    look: Look = Field(default_factory=Look)  # brightness, contrast, saturation
    # The voice-over (not in the shot key either: a narration-only refine regenerates no shot):
    narration: NarrationLine | None = None  # spoken from the shot's start (plus the lead), subtitled
    narration_seconds: float | None = Field(None, gt=0.0, le=MAX_VIDEO_SECONDS)  # how long it is spoken (aligned)
    locked: bool = False  # the creator locked it: no refinement may change or remove it (planning.shot_actions)

    @model_validator(mode="after")
    def _something_is_kept(self) -> Shot:
        if self.trim_start + self.trim_end >= self.seconds:
            raise ValueError(f"shot {self.id!r}: trimming {self.trim_start:g}s + {self.trim_end:g}s off a "
                             f"{self.seconds:g}s shot leaves nothing")
        return self

    @property
    def shown_seconds(self) -> float:
        """How long the shot is on screen: its take less the trims, at its speed."""
        return (self.seconds - self.trim_start - self.trim_end) / self.speed


class Music(StrictModel):
    """How the session's music (``Project.music``) is mixed under the video."""

    volume: float = Field(0.8, ge=0.0, le=4.0)  # 1 = as the file is; 0 = no music
    fade_in: float = Field(1.0, ge=0.0, le=MAX_MUSIC_FADE_SECONDS)  # at most half the video at render
    fade_out: float = Field(2.0, ge=0.0, le=MAX_MUSIC_FADE_SECONDS)


class Narration(StrictModel):
    """How the shots' narration lines are spoken and shown."""

    engine: Literal[("auto", *ENGINE_NAMES)] = "auto"  # type: ignore[valid-type]  # speech engine
    voice: Annotated[str, AfterValidator(check_voice)] | None = None  # the engine's voice name; None: its default
    wpm: int = Field(DEFAULT_WPM, ge=MIN_WPM, le=MAX_WPM)  # speaking rate, words per minute
    lead: float = Field(0.3, ge=0.0, le=MAX_NARRATION_LEAD)  # seconds after the shot's start the line begins
    subtitles: bool = True  # a soft subtitle track in the MP4 and .srt/.vtt sidecars
    burn_subtitles: bool = False  # also draw them into the picture


class Storyboard(StrictModel):
    """Ordered shots plus whole-video dressing."""

    title: Caption | None = None
    style: ShortText = ""
    shots: list[Shot] = Field(min_length=1, max_length=MAX_SHOTS)
    fade_in: float = Field(0.0, ge=0.0, le=MAX_FADE_SECONDS)  # from black (and silence) at the start
    fade_out: float = Field(0.0, ge=0.0, le=MAX_FADE_SECONDS)  # to black at the end
    music: Music = Field(default_factory=Music)
    narration: Narration = Field(default_factory=Narration)

    @field_validator("shots")
    @classmethod
    def _unique_ids(cls, shots: list[Shot]) -> list[Shot]:
        ids = [s.id for s in shots]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"shot ids must be unique; repeated: {dupes}")
        if shots and shots[0].continuous:
            raise ValueError(f"the first shot {shots[0].id!r} cannot continue a previous one")
        return shots

    @model_validator(mode="after")
    def _fades_fit(self) -> Storyboard:
        if self.fade_in + self.fade_out > self.seconds:
            raise ValueError(f"fading in {self.fade_in:g}s and out {self.fade_out:g}s does not fit a "
                             f"{self.seconds:g}s video")
        return self

    @property
    def seconds(self) -> float:
        """Length of the edit: shots as shown minus the overlaps of their transitions."""
        overlap = sum(s.transition.seconds for s in self.shots[:-1])
        return sum(s.shown_seconds for s in self.shots) - overlap

    @property
    def narrated(self) -> bool:
        """Whether any shot has a narration line."""
        return any(s.narration for s in self.shots)

    def shot(self, shot_id: str) -> Shot:
        """The shot with this id."""
        for s in self.shots:
            if s.id == shot_id:
                return s
        raise InputError(f"no shot {shot_id!r}; shots are {[s.id for s in self.shots]}")


class ShotCheck(StrictModel):
    """One automatic check of a shot version."""

    name: str
    passed: bool
    detail: str = ""
    wrong: list[str] = Field(default_factory=list)  # attributes the evaluator read wrong


class ShotVersion(StrictModel):
    """A generated take of a shot, keyed by everything that determines its pixels."""

    shot_id: Slug
    key: str  # shot_key(...)
    file: str  # relative to the project folder
    history: str | None = None  # latent history file, for continuous successors
    prompt: ShortText
    seed: int
    model: str
    attempt: int = 1
    cut: bool = False  # a continuous shot's try that started fresh instead of extending (shots.extends_take)
    turn: int | None = None  # the session turn that generated this take (None: made before turns were recorded)
    checks: list[ShotCheck] = Field(default_factory=list)
    created: str = Field(default_factory=now)
    cost: TakeCost | None = None  # None: made before costs were recorded

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def take_id(self) -> str:
        """Identifies this take; a continuous successor's key depends on it."""
        return f"{self.key}-t{self.attempt}"


class LogEntry(StrictModel):
    """What the agent did and why (shown in summaries and ``history``)."""

    at: str = Field(default_factory=now)
    stage: str
    message: ShortText


class Revision(StrictModel):
    """A finished turn: the storyboard it rendered and the shot versions it used."""

    n: int = Field(ge=1)
    at: str = Field(default_factory=now)
    request: ShortText  # the make request or the refine feedback
    storyboard: Storyboard
    shot_keys: dict[str, str]  # shot id -> take_id (ShotVersion.take_id) of the take in this render
    render: str | None = None
    regenerated: list[str] = Field(default_factory=list)  # shot ids generated this turn
    cost: TurnCost | None = None  # None: made before costs were recorded (or an undo)


class PendingTurn(StrictModel):
    """A turn that started and has not rendered yet (resumed after a crash)."""

    n: int = Field(ge=1)
    kind: Literal["make", "refine"]
    request: ShortText
    awaits_revise: bool = False  # a refine whose feedback is not in the storyboard yet (the graph's revise node)
    cost: TurnCost = Field(default_factory=TurnCost)  # planning's LLM use and the estimate, so far
    draft: bool = False  # planned by ``longcut plan`` and not approved yet: nothing is generated until it is
    edits: list[dict] | None = None  # a client's storyboard edit calls (the studio's shot actions), applied instead of the planner's revise


class Project(StrictModel):
    """Everything about one video."""

    schema_version: int = SCHEMA_VERSION
    name: Slug
    request: ShortText
    seconds: float = Field(gt=0.0, le=MAX_VIDEO_SECONDS)
    model: str = DEFAULT_MODEL
    planner: PlannerName = DEFAULT_PLANNER
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
    music: str | None = None  # relative path of the music file inside the project
    narration: Narration | None = None  # narration asked for when the session started (--narrate, --voice, …)
    storyboard: Storyboard | None = None
    references: list[Reference] = Field(default_factory=list, max_length=MAX_REFS)
    versions: list[ShotVersion] = Field(default_factory=list)
    revisions: list[Revision] = Field(default_factory=list)
    pending: PendingTurn | None = None
    log: list[LogEntry] = Field(default_factory=list)

    @field_validator("schema_version")
    @classmethod
    def _migrate(cls, version: int) -> int:
        # Every older version loads as it is (what it lacks has defaults); it is saved as the current one.
        if not 1 <= version <= SCHEMA_VERSION:
            raise ValueError(f"project schema version {version} is not one this longcut reads "
                             f"(1..{SCHEMA_VERSION}); a newer longcut wrote it")
        return SCHEMA_VERSION

    def reference(self, ref_id: str) -> Reference:
        """The reference with this id."""
        for r in self.references:
            if r.id == ref_id:
                return r
        raise InputError(f"no reference {ref_id!r}; references are {[r.id for r in self.references]}")

    def version(self, key: str) -> ShotVersion | None:
        """The newest version with this cache key that passed its checks, if any."""
        for v in reversed(self.versions):
            if v.key == key and v.passed:
                return v
        return None

    def note(self, stage: str, message: str) -> None:
        """Append to the project log."""
        self.log.append(LogEntry(stage=stage, message=message[:2000]))


def shot_key(
    model_id: str,
    prompt: str,
    seed: int,
    seconds: float,
    reference_hashes: list[str],
    continuity_source: str | None,
) -> str:
    """Cache key of a shot version (DESIGN.md "Shot cache").

    Same key, same pixels: a refinement regenerates only shots whose key
    changed. ``continuity_source`` is the key of the previous shot's version
    when this shot continues it, so a change upstream propagates downstream.
    """
    payload = json.dumps(
        {
            "model": model_id,
            "prompt": prompt,
            "seed": seed,
            "seconds": round(float(seconds), 4),
            "refs": list(reference_hashes),
            "continues": continuity_source,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]
