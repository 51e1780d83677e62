"""The offline planner: deterministic, no network, the embedded default.

plan: split the request into clauses, read each clause with the lexicon into
scene attributes (subjects carry over between clauses: "it", "the ball"),
write each shot in the backend's vocabulary — a caption of its grammar when
it has the grammar the lexicon reads (the embedded world), else open prose
(``agent.prose``) — allocate the requested length, mark a shot *continuous*
when it shows the same subjects on the same background right after the
previous one, and pin subjects that recur across cuts with a reference.
revise: read feedback into calls of the storyboard edit tools (the same
tools the OpenAI planner calls).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace

from longcut.agent.planning.edits import edit_registry
from longcut.agent.planning.lexicon import (
    CATEGORY_WORDS,
    READING_VOCABULARY,
    EmbeddingFallback,
    Lexicon,
    Match,
)
from longcut.agent.planning.narration import asks_for_narration, narration_lines, story_text
from longcut.agent.planning.planner import (
    ModelVocabulary,
    Plan,
    PlannerUsage,
    PlanRequest,
    video_seconds,
)
from longcut.agent.planning.prose import Subject, open_prompt, subject_phrase
from longcut.agent.planning.request_text import parse_title, shot_clauses
from longcut.agent.state import Project, Reference, Shot, Storyboard, Transition, slugify
from longcut.errors import InputError
from longcut.limits import MAX_REFS
from longcut.models.backends.base import derived_seed

# the records the lexicon reads into:
from longcut.models.world.vocab import ObjectAttributes, SceneAttributes
from longcut.tools.filters import check_drawable
from longcut.tools.overlay_text import check_overlay_text

log = logging.getLogger(__name__)

SHOT_GRANULARITY = 0.5  # seconds; shot lengths are multiples of this (the last absorbs the rest)
CUT_FADE_SECONDS = 0.5  # a cut to a new background dissolves over this long
DEFAULT_SIZE = "big"  # big objects read best at 64×64
AFTER_EVENT = {"the sky darkens": "night", "the light comes up": "sky"}
LIGHT_AFTER_EVENT = {"the sky darkens": "at night", "the light comes up": "in daylight"}  # for open prose


@dataclass
class _Subject:
    """An object the story follows across clauses (motion excluded: it is per shot)."""

    shape: str
    colour: str
    size: str = DEFAULT_SIZE
    pattern: str = "solid"
    pattern_colour: str | None = None
    noun: str | None = None  # what the request called it ("ball"), for open prose
    colour_said: bool = True  # False while the colour is a default that a later word may set
    size_said: bool = False

    def attributes(self, motion: str, speed: str | None) -> ObjectAttributes:
        return ObjectAttributes(
            shape=self.shape, colour=self.colour, size=self.size, pattern=self.pattern,
            pattern_colour=self.pattern_colour, motion=motion, speed=None if motion == "still" else speed,
        )

    @property
    def key(self) -> str:
        return slugify(f"{self.colour}-{self.shape}")

    def prose(self) -> Subject:
        """The subject as open prose describes it: in the request's words where it said them."""
        return Subject(noun=self.noun or self.shape, colour=self.colour, size=self.size if self.size_said else None,
                       pattern=None if self.pattern == "solid" else self.pattern, pattern_colour=self.pattern_colour)


@dataclass
class _ShotDraft:
    clause: str
    subjects: list[_Subject]
    scene: SceneAttributes
    refs: list[str] = field(default_factory=list)
    carried: bool = False  # the clause named no subject ("it bounces", "night falls"): the story's go on
    setting: str | None = None  # the background in the request's words, as the story has it by this clause
    says_setting: bool = False  # the clause itself names the background
    light: str | None = None  # what an earlier event left ("at night"), until a new background is said


class _ClauseReader:
    """Reads clauses in order, keeping the story's subjects and background."""

    def __init__(self, lexicon: Lexicon, fallback: EmbeddingFallback | None) -> None:
        self.lexicon, self.fallback = lexicon, fallback
        self.subjects: list[_Subject] = []
        self.background = "sky"
        self.setting: str | None = None  # the last background phrase the request said ("meadow")
        self.light: str | None = None
        self.motions: dict[int, tuple[str, str | None]] = {}  # id(subject) -> last motion, speed

    def _find_subject(self, shape: str | None, colour: str | None) -> _Subject | None:
        for s in reversed(self.subjects):
            if (shape is None or s.shape == shape) and (colour is None or s.colour == colour):
                return s
        return None

    def _objects(self, matches: list[Match]) -> list[tuple[_Subject, str | None, str | None]]:
        """Subjects named in the clause with their motion/speed (None: not said)."""
        found: list[list] = []  # [subject, motion, speed, colour was said before the shape]
        pending: dict[str, str] = {}
        last_colour_after_shape: str | None = None
        for i, m in enumerate(matches):
            nxt = matches[i + 1] if i + 1 < len(matches) else None
            shape_follows = any(x.category == "shape" for x in matches[i + 1:])
            next_category = nxt.category if nxt is not None else None  # colour of "a blue ball", "white dots"
            if m.category == "size" and found and not shape_follows:
                found[-1][0].size = m.word  # "a white star, tiny, sinks"
                continue
            if m.category == "colour" and found and not found[-1][3] and "colour" not in pending \
                    and next_category not in ("shape", "pattern"):
                found[-1][0].colour = m.word  # "a round shape coloured black"
                found[-1][3] = True
                continue
            if m.category in ("size", "colour") or (m.category == "pattern" and m.phrase.endswith("ed")):
                if m.category == "colour" and found and "colour" not in pending and next_category != "shape":
                    last_colour_after_shape = m.word  # "with white stripes"
                    continue
                pending[m.category] = m.word
            elif m.category == "pattern":
                if found and last_colour_after_shape:
                    subj = found[-1][0]
                    subj.pattern, subj.pattern_colour = m.word, last_colour_after_shape
                    last_colour_after_shape = None
                else:
                    pending["pattern"] = m.word
            elif m.category == "shape":
                subj = self._subject_for(m.word, pending)
                subj.noun = subj.noun or m.phrase
                if len(found) < 2 and all(f[0] is not subj for f in found):
                    found.append([subj, None, None, "colour" in pending or subj.colour_said])
                pending, last_colour_after_shape = {}, None
            elif m.category == "motion" and found:
                found[-1][1] = m.word
            elif m.category == "speed" and found:
                found[-1][2] = m.word
        if pending.get("colour") and not any(m.category == "shape" for m in matches):
            found.append([self._subject_for(None, pending), None, None, True])  # "a red one"
        return [(s, mo, sp) for s, mo, sp, _ in found]

    def _subject_for(self, shape: str | None, adj: dict[str, str]) -> _Subject:
        colour = adj.get("colour")
        existing = self._find_subject(shape, colour)
        if existing is not None and (colour is not None or shape is not None):
            if "size" in adj:
                existing.size, existing.size_said = adj["size"], True
            return existing
        used = {s.colour for s in self.subjects}
        said = colour is not None
        colour = colour or next((c for c in CATEGORY_WORDS["colour"] if c not in used), "red")
        subj = _Subject(shape=shape or "circle", colour=colour, size=adj.get("size", DEFAULT_SIZE), colour_said=said,
                        size_said="size" in adj)
        if "pattern" in adj:
            subj.pattern = adj["pattern"]
            subj.pattern_colour = "white" if colour != "white" else "black"
        self.subjects.append(subj)
        return subj

    def read(self, clause: str) -> _ShotDraft:
        matches = self.lexicon.find(clause)
        named = self._objects(matches)
        carried = not named
        cats = {m.category for m in matches}
        motions = [m for m in matches if m.category == "motion"]
        speeds = [m for m in matches if m.category == "speed"]
        if not named:  # "it bounces", "night falls": the story's current subjects
            current = self.subjects[-1:] if self.subjects else [self._subject_for(None, {})]
            named = [(s, motions[0].word if motions else None, speeds[0].word if speeds else None) for s in current]
        if "motion" not in cats and self.fallback is not None and not any(mo for _, mo, _ in named):
            guess = self.fallback.best(clause, "motion")
            if guess:
                named = [(s, guess[0], sp) for s, _, sp in named]
        backgrounds = [m for m in matches if m.category == "background"]
        if backgrounds:
            self.background, self.setting, self.light = backgrounds[-1].word, backgrounds[-1].phrase, None
        setting, light = self.setting, self.light
        events = [m.word for m in matches if m.category == "event"]
        objects = []
        for subj, motion, speed in named:
            prev = self.motions.get(id(subj), ("still", None))
            if motion is None:
                motion, speed = (prev[0], speed or prev[1]) if events else ("still", None)
            speed = speed or "slow"
            self.motions[id(subj)] = (motion, speed)
            objects.append(subj.attributes(motion, speed))
        scene = SceneAttributes(objects=tuple(objects), background=self.background, event=events[0] if events else None)
        if scene.event is not None:  # what the event leaves behind is where the story goes on
            self.background = AFTER_EVENT[scene.event]
            self.light = LIGHT_AFTER_EVENT[scene.event]
        return _ShotDraft(clause=clause, subjects=[s for s, _, _ in named], scene=scene, carried=carried,
                          setting=setting, says_setting=bool(backgrounds), light=light)


def merge_fragments(clauses: list[str], lexicon: Lexicon) -> list[str]:
    """Join descriptive fragments ("on a stone wall", "tiny") to the clause that has the action.

    A clause is a shot only if something happens in it (a motion or an event);
    anything else describes the next shot (or the previous one, at the end).
    """
    def acts(c: str) -> bool:
        return any(m.category in ("motion", "event") for m in lexicon.find(c))

    out: list[str] = []
    carry: list[str] = []
    for c in clauses:
        if acts(c):
            out.append(", ".join([*carry, c]))
            carry = []
        else:
            carry.append(c)
    if carry:
        if out:
            out[-1] = ", ".join([out[-1], *carry])
        else:
            out.append(", ".join(carry))
    return out


def allocate_seconds(weights: list[float], total: float, granularity: float = SHOT_GRANULARITY) -> list[float]:
    """Split ``total`` in proportion to ``weights``, in steps of ``granularity``, summing exactly."""
    if not weights:
        raise ValueError("no shots to allocate")
    raw = [total * w / sum(weights) for w in weights]
    out = [max(granularity, math.floor(r / granularity) * granularity) for r in raw]
    out[-1] = round(total - sum(out[:-1]), 6)
    if out[-1] <= 0:
        return [total / len(weights)] * len(weights)
    return out


def _grammar(vocabulary: ModelVocabulary):
    """The caption grammar to write shots in, or None for open prose; refuses a grammar it cannot write."""
    if vocabulary.is_open:
        return None
    if vocabulary.grammar is not READING_VOCABULARY:
        raise InputError("the offline planner writes captions only in the embedded world's grammar, or open prose; "
                         "this backend has another caption grammar: use --planner openai")
    return vocabulary.grammar


def _prompt(draft: _ShotDraft, scene: SceneAttributes, grammar) -> str:
    """One shot's prompt: a caption of ``grammar``, or open prose in the request's words when it is None."""
    if grammar is not None:
        return grammar.write(scene)
    return open_prompt(draft.clause, [s.prose() for s in draft.subjects] if draft.carried else [],
                       None if draft.says_setting else draft.setting, draft.light)


class OfflinePlanner:
    """Deterministic planner: the embedded world's captions, or open prose for open-vocabulary backends."""

    name = "offline"

    def __init__(self, use_embeddings: bool = True) -> None:
        self.lexicon = Lexicon()
        self.fallback = EmbeddingFallback() if use_embeddings else None
        self.usage = PlannerUsage()

    # ----------------------------------------------------------------- plan
    def plan(self, req: PlanRequest) -> Plan:
        """Request text → storyboard of shots in the backend's vocabulary summing to the target length."""
        grammar = _grammar(req.vocabulary)
        text = req.request.strip()
        if not text:
            raise InputError("the request is empty; describe the video, e.g. 'a red ball bounces on grass'")
        seconds = video_seconds(req.seconds, text)
        narrate = req.narrate or asks_for_narration(text)
        story = story_text(text) if narrate else text  # what is spoken is not a shot
        clauses = merge_fragments(shot_clauses(story) or [story], self.lexicon)
        reader = _ClauseReader(self.lexicon, self.fallback)
        drafts = [reader.read(c) for c in clauses]
        for name in req.supplied_refs:
            said = re.compile(rf"(?<![\w-]){re.escape(name.replace('-', ' '))}(?![\w-])", re.IGNORECASE)
            for d in drafts:
                if said.search(d.clause.replace("-", " ")):
                    d.refs.append(slugify(name))
        continuous = [False] + [
            [s.key for s in drafts[i].subjects] == [s.key for s in drafts[i - 1].subjects]
            and drafts[i].scene.background == drafts[i - 1].scene.background
            and drafts[i - 1].scene.event is None
            for i in range(1, len(drafts))
        ]
        transitions = [
            Transition(kind="dissolve", seconds=CUT_FADE_SECONDS) if i + 1 < len(drafts) and not continuous[i + 1]
            else Transition()
            for i in range(len(drafts))
        ]
        overlap = sum(t.seconds for t in transitions)
        lengths = allocate_seconds([1.0] * len(drafts), seconds + overlap)
        lines = narration_lines(text, clauses) if narrate else [None] * len(drafts)
        shots: list[Shot] = []
        shot_subjects: list[list[str]] = []  # subject keys per shot, for references
        for i, (d, secs) in enumerate(zip(drafts, lengths, strict=True)):
            parts = max(1, math.ceil(secs / req.max_shot_seconds - 1e-9))
            part_lengths = allocate_seconds([1.0] * parts, secs)
            for j, part in enumerate(part_lengths):
                scene = d.scene if j == 0 else replace(d.scene, event=None)
                shots.append(Shot(
                    id=f"s{len(shots) + 1}", intent=d.clause[:2000], prompt=_prompt(d, scene, grammar)[:2000],
                    seconds=part, refs=list(dict.fromkeys(d.refs)), continuous=continuous[i] or j > 0,
                    transition=transitions[i] if j == parts - 1 else Transition(),
                    seed=derived_seed(req.seed, str(len(shots))),
                    narration=lines[i] if j == 0 else None,
                ))
                shot_subjects.append([s.key for s in d.subjects])
        refs = self._references(drafts, continuous, req, grammar)
        ref_ids = {r.id for r in refs}
        for shot, keys in zip(shots, shot_subjects, strict=True):
            shot.refs = list(dict.fromkeys(shot.refs + [k for k in keys if k in ref_ids]))[:MAX_REFS]
        title = parse_title(text)
        try:
            title = check_drawable(check_overlay_text(title)) if title else None
        except ValueError as err:
            raise InputError(f"the title {title!r}: {err}") from None
        board = Storyboard(title=title, shots=shots)
        rewritten = "; ".join(s.prompt for s in shots if not s.continuous or s.prompt != shots[0].prompt)
        return Plan(rewritten_request=rewritten[:2000], seconds=board.seconds, storyboard=board, references=refs)

    def _references(self, drafts: list[_ShotDraft], continuous: list[bool], req: PlanRequest,
                    grammar) -> list[Reference]:
        refs = [Reference(id=slugify(n), description=f"supplied image {n}", image=None, source="supplied")
                for n in req.supplied_refs]
        groups: dict[str, int] = {}
        first: dict[str, _Subject] = {}
        for d, cont in zip(drafts, continuous, strict=True):
            for s in d.subjects:
                first.setdefault(s.key, s)
                if not cont:
                    groups[s.key] = groups.get(s.key, 0) + 1
        for key, n in groups.items():
            if n >= 2 and len(refs) < MAX_REFS and key not in {r.id for r in refs}:
                s = first[key]
                desc = (grammar.write(SceneAttributes(objects=(s.attributes("still", None),), background="sky"))
                        if grammar is not None else subject_phrase(s.prose()))
                refs.append(Reference(id=key, description=desc))
        return refs

    # --------------------------------------------------------------- revise
    def revise(self, project: Project, feedback: str, vocabulary: ModelVocabulary) -> Storyboard:
        """Feedback → storyboard edit-tool calls (see ``agent.feedback``)."""
        from longcut.agent.planning.feedback import feedback_calls

        if project.storyboard is None:
            raise InputError(f"session {project.name!r} has no storyboard yet; run `longcut make` first")
        board = project.storyboard
        reg = edit_registry()
        calls = feedback_calls(feedback, board, self.lexicon, _grammar(vocabulary))
        if project.music is None and any(name == "set_music" for name, _ in calls):
            raise InputError(f"session {project.name!r} has no music to mix; give a music file with "
                             "`longcut make --music FILE` when the session starts")
        for name, args in calls:
            result = reg.call(name, args, context={"board": board})
            if not result.ok:
                raise InputError(f"could not apply {name}: {result.error}")
            board = result.value
        return board

    # -------------------------------------------------------------- rewrite
    def rewrite_failed(self, intent: str, prompt: str, problem: str, vocabulary: ModelVocabulary) -> str:
        """Simplify a caption that failed twice: one big object, default speed, same colours (prose stays)."""
        grammar = _grammar(vocabulary)
        try:
            scene = grammar.read(prompt) if grammar is not None else None
        except ValueError:
            scene = None
        if scene is None:
            return prompt
        obj = replace(scene.objects[0], size="big", speed=None)
        return grammar.write(SceneAttributes(objects=(obj,), background=scene.background, event=scene.event))
