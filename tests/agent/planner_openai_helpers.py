"""What the OpenAI planner tests share: drafts the fake server answers with, the server and the planner."""


from longcut.agent.planning.planner import ModelVocabulary, PlanRequest
from longcut.agent.state import Project, Shot, Storyboard, Transition

GUIDE = "VOCAB-GUIDE: captions name a colour (red, green, blue), a shape (circle, square), a motion and a background."
VOCAB = ModelVocabulary(guide=GUIDE)
REQUEST = "a red ball crosses a meadow, night falls, it bounces home"
EDIT_TOOLS = {"add_shot", "move_shot", "remove_shot", "set_title", "set_transition", "update_shot",
              "trim_shot", "set_speed", "set_look", "set_fades", "set_music", "set_narration", "set_narration_style"}
REVISE_TOOLS = EDIT_TOOLS | {"get_storyboard"}  # the edits and one read-only view


def shot(intent="ball", prompt="a red circle moves right on a grass background", seconds=4.0, **kw):
    base = {"intent": intent, "prompt": prompt, "seconds": seconds, "refs": [], "continuous": False,
            "transition": "cut", "transition_seconds": 0.0, "caption": None}
    return {**base, **kw}


def draft(*shots, seconds=12.0, references=(), title=None):
    return {"rewritten_request": "A red ball crosses a meadow and bounces home at night.", "seconds": seconds,
            "title": title, "style": "", "references": list(references), "shots": list(shots) or [shot()]}


GOOD = draft(
    shot("ball enters", seconds=5, refs=["ball"], transition="fade", transition_seconds=0.5),
    shot("night falls", prompt="a red circle is still on a night background", seconds=4, refs=["ball"], continuous=True),
    shot("bounces home", prompt="a red circle bounces on a night background", seconds=4, refs=["ball"]),
    references=[{"id": "ball", "description": "a small red circle"}],
)


def request(seconds=12.0, **kw):
    return PlanRequest(request=REQUEST, seconds=seconds, vocabulary=VOCAB, **kw)


def board3():
    return Storyboard(shots=[
        Shot(id="s1", intent="ball enters", prompt="a red circle moves right on a grass background", seconds=4,
             transition=Transition(kind="fade", seconds=0.5)),
        Shot(id="s2", intent="night", prompt="a red circle is still on a night background", seconds=4, continuous=True),
        Shot(id="s3", intent="home", prompt="a red circle bounces on a night background", seconds=4),
    ])


def project():
    return Project(name="ball", request=REQUEST, seconds=11.5, planner="openai", storyboard=board3())


def schema_is_strict(node):
    """Every object in a strict schema forbids extra keys and requires all its properties."""
    if isinstance(node, dict):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, node
            assert set(node.get("required", [])) == set(node.get("properties", {})), node
        return all(schema_is_strict(v) for v in node.values())
    if isinstance(node, list):
        return all(schema_is_strict(v) for v in node)
    return True


# ---------------------------------------------------------------------------
# plan
