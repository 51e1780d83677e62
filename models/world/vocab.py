"""Vocabulary of the embedded world: names → RGB, sizes, motions, and the scene specs.

This is the single source of truth that the renderer (``scene.py``), the caption
grammar (``captions.py``), the evaluator (``evaluate.py``) and the planner's
rewriter all import. Geometry is given in *64-units*: pixels of a 64×64 frame;
other frame sizes scale everything by ``size / 64``.

Why these values:

* object colours are saturated and at least ~100 apart in RGB from each other;
  backgrounds are muted vertical gradients, and every object colour stays
  ≥ ~70 away from every background row, also when an event darkens it — so an
  object can always be segmented by difference from the background;
* ``small`` = 16 px and ``big`` = 30 px across; ``grows``/``shrinks`` scale an
  object within ``GROW_RANGE`` (0.82–1.18), so a growing small object (≤ 18.9 px)
  never looks like a shrinking big one (≥ 24.6 px);
* patterns have an 8 px period (stripes 3 px wide, 4 px checks, dots of
  radius 2.25 px), coarse enough for an 8× spatial VAE and for the evaluator;
  the cell at the object's centre is always the main colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ───────────────────────────── frame format ─────────────────────────────

FPS: int = 8
FRAME_SIZE: int = 64
UNIT: float = 64.0  # geometry is specified in pixels of a 64×64 frame

# ───────────────────────────── vocabulary ─────────────────────────────

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (255, 140, 0),
    "yellow": (255, 235, 40),
    "green": (20, 200, 40),
    "blue": (30, 70, 230),
    "purple": (130, 40, 190),
    "pink": (255, 120, 200),
    "white": (250, 250, 250),
    "black": (15, 15, 15),
    "brown": (120, 65, 20),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star")
SIZES: tuple[str, ...] = ("small", "big")
SIZE_PX: dict[str, float] = {"small": 16.0, "big": 30.0}  # nominal extent across, 64-units
GROW_RANGE: tuple[float, float] = (0.82, 1.18)  # scale range of grows / shrinks
SIZE_THRESHOLD_PX: float = 21.6  # between 16 × 1.18 and 30 × 0.82

PATTERNS: tuple[str, ...] = ("solid", "stripes", "dots", "checker")
PATTERN_PERIOD: float = 8.0  # px (64-units) for stripes, dots and checks
STRIPE_DUTY: float = 3.0 / 8.0  # fraction of a stripe period in the pattern colour
DOT_RADIUS: float = 2.25
STRIPE_ANGLES: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0)  # degrees; 0 = vertical stripes

MOTIONS: tuple[str, ...] = (
    "still", "left", "right", "up", "down", "bounces", "circles", "grows", "shrinks",
)
SPEEDS: tuple[str, ...] = ("slow", "fast")
# px/frame along the path (translations, bounces, circles)
SPEED_RANGE: dict[str, tuple[float, float]] = {"slow": (0.8, 1.3), "fast": (1.9, 2.8)}
# frames per grow/shrink cycle (a sawtooth over GROW_RANGE)
GROW_PERIOD: dict[str, tuple[float, float]] = {"slow": (36.0, 48.0), "fast": (16.0, 24.0)}
ORBIT_RADIUS: tuple[float, float] = (7.0, 10.0)

BACKGROUNDS: tuple[str, ...] = ("sky", "night", "grass", "sand", "stone", "sunset")
# (top row colour, bottom row colour): a vertical gradient
BACKGROUND_RGB: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "sky": ((120, 165, 225), (170, 205, 235)),
    "night": ((35, 45, 105), (65, 75, 135)),
    "grass": ((125, 165, 90), (85, 130, 65)),
    "sand": ((215, 195, 145), (195, 170, 120)),
    "stone": ((140, 140, 145), (105, 105, 112)),
    "sunset": ((245, 175, 110), (150, 90, 125)),
}
EVENTS: tuple[str, ...] = ("the sky darkens", "the light comes up")
DUSK_RGB: tuple[int, int, int] = (40, 40, 85)  # events blend the background towards this
DUSK_BLEND: float = 0.5  # blend weight when fully dark
NEUTRAL_RGB: tuple[int, int, int] = (128, 128, 128)  # background of reference images

# ───────────────────────────── specs ─────────────────────────────


@dataclass(frozen=True)
class ObjectSpec:
    """One object of a scene: what a caption names plus the hidden parameters.

    Named attributes: ``shape``, ``colour``, ``size``, ``pattern``,
    ``pattern_colour`` (None when solid), ``motion``, ``speed`` ("slow"/"fast";
    meaningless for "still"). Hidden parameters (pinned only by a reference
    image or by the seed): ``x``, ``y`` — the position at frame 0 (the orbit
    centre for "circles"), 64-units, at the shape's area centroid; ``rate`` —
    px/frame along the path, or frames per cycle for grows/shrinks; ``heading``
    — degrees of travel for "bounces", +1/-1 turning sense for "circles";
    ``phase`` — orbit angle (degrees) or sawtooth phase (0–1); ``radius`` — orbit
    radius; ``pattern_angle`` — stripe orientation in degrees.
    """

    shape: str
    colour: str
    size: str
    pattern: str = "solid"
    pattern_colour: str | None = None
    motion: str = "still"
    speed: str = "slow"
    x: float = 32.0
    y: float = 32.0
    rate: float = 0.0
    heading: float = 0.0
    phase: float = 0.0
    radius: float = 0.0
    pattern_angle: float = 0.0

    def __post_init__(self) -> None:
        checks = (
            ("shape", self.shape, SHAPES), ("colour", self.colour, COLOUR_NAMES),
            ("size", self.size, SIZES), ("pattern", self.pattern, PATTERNS),
            ("motion", self.motion, MOTIONS), ("speed", self.speed, SPEEDS),
        )
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"ObjectSpec.{name}={value!r}; allowed: {', '.join(allowed)}")
        if self.pattern == "solid":
            if self.pattern_colour is not None:
                raise ValueError(f"a solid object has no pattern_colour (got {self.pattern_colour!r})")
        elif self.pattern_colour not in COLOURS or self.pattern_colour == self.colour:
            raise ValueError(
                f"pattern_colour={self.pattern_colour!r} must be a colour other than "
                f"{self.colour!r}; allowed: {', '.join(COLOUR_NAMES)}"
            )

    @property
    def attributes(self) -> ObjectAttributes:
        """The named (caption-level) attributes of this object."""
        return ObjectAttributes(
            shape=self.shape, colour=self.colour, size=self.size, pattern=self.pattern,
            pattern_colour=self.pattern_colour, motion=self.motion,
            speed=None if self.motion == "still" else self.speed,
        )


@dataclass(frozen=True)
class SceneSpec:
    """A clip of the world: 1–2 objects over a background, with an optional event.

    ``event_start`` and ``event_frames`` place the event's transition in frames
    (the background blends towards dusk over those frames and then stays).
    A clip has no length: any window of frames can be rendered.
    """

    objects: tuple[ObjectSpec, ...]
    background: str
    event: str | None = None
    event_start: int = 0
    event_frames: int = 16

    def __post_init__(self) -> None:
        if not 1 <= len(self.objects) <= 2:
            raise ValueError(f"a scene has 1 or 2 objects, got {len(self.objects)}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background={self.background!r}; allowed: {', '.join(BACKGROUNDS)}")
        if self.event is not None and self.event not in EVENTS:
            raise ValueError(f"event={self.event!r}; allowed: None, {', '.join(EVENTS)}")
        if self.event_frames < 1 or self.event_start < 0:
            raise ValueError(
                f"event_start={self.event_start} must be ≥ 0 and event_frames={self.event_frames} ≥ 1"
            )

    @property
    def attributes(self) -> SceneAttributes:
        """The named (caption-level) attributes of this scene."""
        return SceneAttributes(
            objects=tuple(o.attributes for o in self.objects),
            background=self.background, event=self.event,
        )


@dataclass(frozen=True)
class ObjectAttributes:
    """What a caption says about an object (``speed`` None when not stated)."""

    shape: str
    colour: str
    size: str
    pattern: str = "solid"
    pattern_colour: str | None = None
    motion: str = "still"
    speed: str | None = None


@dataclass(frozen=True)
class SceneAttributes:
    """What a caption says about a scene: the result of ``parse_canonical``."""

    objects: tuple[ObjectAttributes, ...] = field(default_factory=tuple)
    background: str = "sky"
    event: str | None = None


# ───────────────────────────── caption lexicon ─────────────────────────────

# canonical word -> synonyms used by the caption grammar. Multi-word synonyms are
# phrases: match longest first ("a blue sky" is the background, not the colour).
SYNONYMS: dict[str, tuple[str, ...]] = {
    # colours
    "red": ("crimson", "scarlet", "cherry-red"),
    "orange": ("tangerine", "amber", "pumpkin-coloured"),
    "yellow": ("lemon", "canary-yellow", "sunflower-yellow"),
    "green": ("emerald", "lime", "leaf-green"),
    "blue": ("cobalt", "azure", "royal-blue"),
    "purple": ("violet", "lilac", "plum-coloured"),
    "pink": ("rose", "rosy", "bubblegum-pink"),
    "white": ("snowy", "ivory", "snow-white"),
    "black": ("jet-black", "ebony", "coal-black"),
    "brown": ("chocolate", "coffee-coloured", "chestnut"),
    # shapes
    "circle": ("ball", "disc", "round shape"),
    "square": ("box", "block", "cube"),
    "triangle": ("wedge", "triangular shape", "pyramid"),
    "star": ("starburst", "five-pointed star", "star shape"),
    # sizes
    "small": ("little", "tiny", "small-sized"),
    "big": ("large", "huge", "giant"),
    # patterns (plural nouns as used after "with <colour>")
    "stripes": ("bands", "stripy lines", "streaks"),
    "dots": ("polka dots", "spots", "speckles"),
    "checker": ("checks", "checkerboard pattern", "chequers"),
    # motions (verb phrases, 3rd person)
    "still": ("stays still", "rests in place", "sits motionless", "stands still"),
    "left": ("moves left", "drifts leftward", "slides to the left", "glides left"),
    "right": ("moves right", "drifts rightward", "slides to the right", "glides right"),
    "up": ("moves up", "rises", "floats upward", "climbs"),
    "down": ("moves down", "falls", "sinks", "drops downward"),
    "bounces": ("bounces", "bounces off the walls", "ricochets around", "bounces around"),
    "circles": ("moves in circles", "circles around", "loops around", "orbits"),
    "grows": ("grows", "expands", "swells", "gets bigger"),
    "shrinks": ("shrinks", "contracts", "dwindles", "gets smaller"),
    # speeds (adverbs)
    "slow": ("slowly", "gently", "leisurely", "unhurriedly"),
    "fast": ("quickly", "rapidly", "swiftly", "fast"),
    # backgrounds (noun phrases without article)
    "sky": ("blue sky", "clear daytime sky", "open sky"),
    "night": ("night sky", "starless night", "dark night"),
    "grass": ("meadow", "grassy field", "lawn"),
    "sand": ("sandy beach", "desert", "stretch of sand"),
    "stone": ("stone wall", "grey rock", "slab of stone"),
    "sunset": ("sunset", "evening glow", "dusky sunset sky"),
    # events
    "the sky darkens": ("night falls", "it grows dark", "the light fades", "dusk settles in"),
    "the light comes up": ("dawn breaks", "it brightens", "the day breaks", "the light returns"),
}
