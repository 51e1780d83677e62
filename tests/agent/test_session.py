import math
from dataclasses import replace

import numpy as np
import pytest

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.store import ProjectStore
from longcut.agent.turn.session import Options, Sessions
from longcut.errors import InputError
from longcut.models.world.captions import parse_canonical
from longcut.models.world.evaluate import read_clip
from longcut.tools.media import probe, read_frames

from tests.agent.turn_helpers import REQUEST, opts
from tests.fakes import BadExtensionModel, WorldOracleModel


def world_board(request: str, seconds: float):
    """The storyboard the offline planner makes for the oracle (the world's captions)."""
    vocabulary = vocabulary_for(WorldOracleModel().info)
    return OfflinePlanner(use_embeddings=False).plan(PlanRequest(request, seconds, vocabulary)).storyboard


def test_make_renders_the_storyboard(sessions):
    model = WorldOracleModel()
    events = []
    res = sessions.make(REQUEST, name="ball", opts=opts(model, listeners=[events.append]))
    info = probe(res.render)
    assert info.duration == pytest.approx(12.0, abs=1 / 8 + 1e-6)
    assert res.revision.n == 1 and res.revision.regenerated == ["s1", "s2", "s3"]
    assert len(model.calls) == 3 and model.images  # 3 shots + the recurring subject's reference
    assert {"plan", "references", "shots", "review", "render", "done"} <= {e.stage for e in events}
    assert events[-1].percent == 100
    # The shots read as the storyboard says (the oracle renders what it is asked).
    frames = np.stack(list(read_frames(res.render)))
    first = read_clip(frames[: 8 * 3: 1][:, ::4, ::4])  # the delivered video is upscaled 4×
    assert first.background == "grass" and first.objects[0].colour == "red"
    assert res.project.pending is None


def test_refine_regenerates_exactly_the_changed_shot(sessions):
    model = WorldOracleModel()
    sessions.make(REQUEST, name="ball", opts=opts(model))
    n = len(model.calls)
    res = sessions.refine("ball", "make the third shot green and add a title 'Home'", opts=opts(model))
    assert res.revision.regenerated == ["s3"]
    assert len(model.calls) == n + 1
    assert parse_canonical(model.calls[-1].prompt).objects[0].colour == "green"
    assert res.project.storyboard.title == "Home"
    assert [r.n for r in sessions.history("ball")] == [1, 2]
    back = sessions.undo("ball")
    assert back.storyboard == sessions.history("ball")[0].storyboard and back.n == 3


def test_a_change_upstream_regenerates_its_continuous_successor(sessions):
    model = WorldOracleModel()
    first = sessions.make(REQUEST, name="ball", opts=opts(model))
    assert first.project.storyboard.shots[1].continuous
    res = sessions.refine("ball", "another take of shot 1", opts=opts(model))
    assert res.revision.regenerated == ["s1", "s2"]  # s2 extends s1's latent history


def test_failed_shots_are_retried_then_rewritten(sessions):
    board = world_board("a small red star moves left", 4)
    bad = board.shots[0].prompt
    model = WorldOracleModel(fail_prompts={bad})
    res = sessions.make("a small red star moves left", name="star", seconds=4, opts=opts(model))
    prompts = [c.prompt for c in model.calls]
    assert prompts[:2] == [bad, bad] and prompts[2] != bad  # two seeds, then a rewritten prompt
    assert len({c.seed for c in model.calls[:2]}) == 2
    take = next(v for v in res.project.versions if v.attempt == 3)
    assert take.passed and res.revision.regenerated == ["s1"]


@pytest.mark.parametrize("max_tries, rewrite_after, rewritten_from", [(3, 1, 2), (4, 2, 3), (3, 0, None)])
def test_the_retry_policy_says_when_the_prompt_is_rewritten(sessions, max_tries, rewrite_after, rewritten_from):
    bad = world_board("a small red star moves left", 4).shots[0].prompt
    model = WorldOracleModel(fail_prompts={bad})
    sessions.make("a small red star moves left", name="star", seconds=4,
                  opts=opts(model, max_tries=max_tries, rewrite_after=rewrite_after))
    prompts = [c.prompt for c in model.calls]
    n_bad = len(prompts) if rewritten_from is None else rewritten_from - 1
    assert prompts[:n_bad] == [bad] * n_bad  # tries before the rewrite keep the shot's prompt
    if rewritten_from is None:
        assert len(prompts) == max_tries  # never rewritten: every try fails
    else:
        assert prompts[n_bad] != bad and len(prompts) == rewritten_from  # the rewritten prompt passes


def test_a_retry_policy_refuses_nonsense():
    from longcut.agent.turn.retry import RetryPolicy

    with pytest.raises(InputError, match="max_tries"):
        RetryPolicy(max_tries=0)
    with pytest.raises(InputError, match="rewrite_after"):
        RetryPolicy(rewrite_after=-1)


def test_the_plan_says_how_long_generation_should_take_when_the_backend_knows(sessions):
    model = WorldOracleModel()
    model._info = replace(model.info, wall_per_video_second=0.5)
    events = []
    sessions.make(REQUEST, name="ball", opts=opts(model, listeners=[events.append]))
    planned = next(e.message for e in events if e.stage == "plan" and "planned" in e.message)
    # before anything is measured: 0.5 s per second of video, a chunk is 16 frames = 2 s, so 1 s a chunk
    assert "oracle's own speed figure, nothing measured yet" in planned
    estimate = next(e.data["estimate"] for e in events if e.stage == "plan" and "estimate" in e.data)
    assert [s["chunks"] for s in estimate["shots"]] == [math.ceil(s["seconds"] * 8 / 16) for s in estimate["shots"]]
    assert estimate["generation_seconds"] == pytest.approx(sum(s["chunks"] for s in estimate["shots"]) * 1.0)
    unknown = WorldOracleModel()  # no measured speed and no record: no time estimate
    events.clear()
    Sessions(ProjectStore(sessions.store.root.parent / "other"), sessions.checkpoints).make(
        REQUEST, name="ball2", opts=opts(unknown, listeners=[events.append]))
    assert "no time estimate" in next(e.message for e in events if e.stage == "plan" and "planned" in e.message)


class WrongByTryModel(WorldOracleModel):
    """Renders attribute overrides by call number: the tries of one shot fail in different ways."""

    def __init__(self, wrong_by_call: dict[int, dict]):
        super().__init__()
        self.wrong_by_call = wrong_by_call

    def _scene(self, prompt, seed):
        scene = super()._scene(prompt, seed)
        wrong = self.wrong_by_call.get(len(self.calls), {})
        objects = tuple(replace(o, **{k: v for k, v in wrong.items() if k != "background"}) for o in scene.objects)
        return replace(scene, objects=objects, background=wrong.get("background", scene.background))


def test_progress_never_goes_back_on_a_retry_and_names_the_try(sessions):
    bad = world_board(REQUEST, None).shots[2].prompt
    events = []
    sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel(fail_prompts={bad}), listeners=[events.append]))
    percents = [e.percent for e in events]
    assert percents == sorted(percents) and percents[-1] == 100
    retry = [e for e in events if e.shot == "s3" and e.stage == "shots" and e.attempt == 2]
    assert retry and all("try 2" in e.message for e in retry)
    assert any(e.stage == "review" and e.attempt == 1 and "attempt 1 failed" in e.message for e in events)


def test_a_resumed_job_reports_no_lower_percent_than_it_had_reached():
    from longcut.agent.events import EventSink
    from longcut.agent.service.worker import _Listener

    class Log:
        bodies = []

        def append_event(self, job_id, body, progress=True):
            self.bodies.append(body)

    import threading

    log = Log()
    sink = EventSink([_Listener(log, "j1", threading.Event(), percent=40.0)])  # the job had reached 40 %
    sink.emit("plan", "resuming", 1.0)
    sink.emit("shots", "shot 2", 0.75)
    assert [b["percent"] for b in log.bodies] == [40.0, 67.5]


def test_when_no_try_passes_the_nearest_is_kept(sessions):
    # try 1: colour and background wrong; try 2: colour only; try 3 (rewritten): colour and shape wrong
    model = WrongByTryModel({1: {"colour": "blue", "background": "sand"}, 2: {"colour": "blue"},
                             3: {"colour": "blue", "shape": "square"}})
    events = []
    res = sessions.make("a small red star moves left", name="star", seconds=4,
                        opts=opts(model, listeners=[events.append]))
    assert len(model.calls) == 3
    rev = res.revision
    kept = next(v for v in res.project.versions if v.take_id == rev.shot_keys["s1"])
    assert kept.attempt == 2 and not kept.passed
    assert [c.wrong for c in kept.checks if not c.passed] == [["colour"]]
    assert any("keeping try 2" in e.message for e in events)
    frames = np.stack(list(read_frames(res.render)))
    reading = read_clip(frames[:16, ::4, ::4])  # try 2's picture is the one delivered
    assert reading.background == parse_canonical(kept.prompt).background != "sand"
    assert reading.objects[0].shape == "star"


class BadSeedModel(WorldOracleModel):
    """Draws the wrong colour for the given seeds."""

    def __init__(self, bad_seeds: set[int]):
        super().__init__()
        self.bad_seeds = bad_seeds

    def _scene(self, prompt, seed):
        scene = super()._scene(prompt, seed)
        if seed in self.bad_seeds:
            scene = replace(scene, objects=tuple(replace(o, colour="blue") for o in scene.objects))
        return scene


def test_the_opening_search_finds_a_passing_seed_without_a_retry(sessions):
    from longcut.tools.generate import candidate_seeds

    board = world_board("a small red star moves left", 4)
    seed = board.shots[0].seed
    model = BadSeedModel({seed})
    res = sessions.make("a small red star moves left", name="star", seconds=4, opts=opts(model, candidates=4))
    (take,) = [v for v in res.project.versions if v.shot_id == "s1"]
    assert take.passed and take.attempt == 1 and take.seed == candidate_seeds(seed, 4)[1]
    # the bad seed's opening, then a good one (read as asked: the search stops); an opening is the 4 s the
    # review reads at the start, here the whole shot (two 16-frame chunks), so nothing is left to continue
    assert [c.seed for c in model.calls] == [seed, take.seed]
    assert [round(c.seconds * 8) for c in model.calls] == [32, 32]

    without = BadSeedModel({seed})
    res = sessions.make("a small red star moves left", name="star2", seconds=4, opts=opts(without, candidates=1))
    assert [v.attempt for v in res.project.versions] == [1, 2]  # the bad seed costs a whole retry


def test_a_retry_searches_wider_openings(sessions):
    from longcut.agent.turn.shots import search_width, take_seed
    from longcut.tools.generate import MAX_CANDIDATES, candidate_seeds

    assert [search_width(4, a) for a in (1, 2, 3)] == [4, 8, MAX_CANDIDATES]
    assert [search_width(1, a) for a in (1, 2, 3)] == [1, 1, 1]  # off stays off
    board = world_board("a small red star moves left", 4)
    seed = board.shots[0].seed
    retry = candidate_seeds(take_seed(seed, 2), 4)
    # try 1's two openings are bad, and so are the first three of try 2's: only a width of 4 on the retry finds one
    model = BadSeedModel(set(candidate_seeds(seed, 2)) | set(retry[:3]))
    res = sessions.make("a small red star moves left", name="wide", seconds=4, opts=opts(model, candidates=2))
    takes = sorted((v for v in res.project.versions if v.shot_id == "s1"), key=lambda v: v.attempt)
    assert [t.attempt for t in takes] == [1, 2] and takes[-1].passed and takes[-1].seed == retry[3]


def test_a_continuous_shot_whose_extensions_fail_cuts_on_its_last_try(sessions):
    model = BadExtensionModel()
    events = []
    res = sessions.make(REQUEST, name="ball", opts=opts(model, listeners=[events.append]))
    assert res.project.storyboard.shots[1].continuous
    s2 = sorted((v for v in res.project.versions if v.shot_id == "s2"), key=lambda v: v.attempt)
    assert [(t.cut, t.passed) for t in s2] == [(False, False)] * 3 + [(True, True)]
    assert res.revision.shot_keys["s2"] == s2[3].take_id  # the passing cut is the take delivered
    assert model.extended[1:5] == [True, True, True, False]  # s1 fresh; s2 extends 3 times, then starts fresh
    assert any("try 4 starts fresh (a cut)" in e.message for e in events)

    keep = BadExtensionModel()
    res = sessions.make(REQUEST, name="kept", opts=opts(keep, cut_fallback=False))
    s2 = [v for v in res.project.versions if v.shot_id == "s2"]
    assert len(s2) == 3 and not any(t.cut or t.passed for t in s2) and keep.extended[1:5] == [True] * 3 + [False]


def test_try_plan():
    from longcut.agent.state import Shot, ShotVersion
    from longcut.agent.turn.retry import try_plan

    shot = Shot(id="s2", intent="x", prompt="a big red circle moves right on a grass background", seconds=4,
                continuous=True)
    prev = ShotVersion(shot_id="s1", key="k", file="f.mp4", prompt="p", seed=0, model="m")
    assert try_plan(shot, prev, 3, True) == [True, True, True, False]  # extend, extend, extend, then a cut
    assert try_plan(shot, prev, 3, False) == [True, True, True]
    assert try_plan(shot, None, 3, True) == [False] * 3  # nothing to extend
    assert try_plan(shot.model_copy(update={"continuous": False}), prev, 2, True) == [False] * 2


class Crash(Exception):
    pass


class CrashingModel(WorldOracleModel):
    def __init__(self, crash_on_call: int):
        super().__init__()
        self.crash_on_call = crash_on_call

    def generate(self, request, history=None, on_step=None):
        if len(self.calls) + 1 == self.crash_on_call:
            raise Crash("killed")
        yield from super().generate(request, history, on_step)


def test_a_killed_job_resumes_without_regenerating_finished_shots(sessions):
    with pytest.raises(Crash):
        sessions.make(REQUEST, name="ball", opts=opts(CrashingModel(crash_on_call=3)))
    project = sessions.store.load("ball")
    assert project.pending is not None and not project.revisions
    model = WorldOracleModel()
    res = sessions.make(REQUEST, name="ball", opts=opts(model))  # the same command again
    assert [c.prompt for c in model.calls] == [res.project.storyboard.shots[2].prompt]  # only s3 after the restart
    assert res.revision.regenerated == ["s1", "s2", "s3"]  # the turn made all three, two before the crash
    assert probe(res.render).duration == pytest.approx(12.0, abs=0.2)


def test_a_crash_inside_a_chain_still_records_every_shot_the_turn_made(sessions):
    # s1 and s2 are one chain: a crash while making s2 re-runs the chain, which finds s1's take on disk.
    with pytest.raises(Crash):
        sessions.make(REQUEST, name="ball", opts=opts(CrashingModel(crash_on_call=2)))
    model = WorldOracleModel()
    res = sessions.make(REQUEST, name="ball", opts=opts(model))
    assert res.project.storyboard.shots[1].continuous
    assert res.project.storyboard.shots[0].prompt not in [c.prompt for c in model.calls]  # s1 was not made again
    assert res.revision.regenerated == ["s1", "s2", "s3"]
    assert {v.turn for v in res.project.versions} == {1}
    later = sessions.refine("ball", "make the third shot green", opts=opts(model))
    assert later.revision.regenerated == ["s3"]  # s1 and s2 are turn 1's takes


def test_session_errors(sessions):
    model = WorldOracleModel()
    with pytest.raises(InputError, match="no session 'nope'"):
        sessions.refine("nope", "make it green", opts=opts(model))
    sessions.make(REQUEST, name="ball", opts=opts(model))
    with pytest.raises(InputError, match="already exists"):
        sessions.make("a different request", name="ball", opts=opts(model))
    with pytest.raises(InputError, match="nothing to undo"):
        sessions.undo("ball")
    with pytest.raises(InputError, match="empty"):
        sessions.make("  ", name="x", opts=opts(model))


def test_a_model_without_reference_input_still_makes_the_video(sessions):
    from dataclasses import replace

    model = WorldOracleModel()
    model._info = replace(model.info, max_refs=0)
    events = []
    res = sessions.make(REQUEST, name="ball", opts=opts(model, listeners=[events.append]))
    assert res.project.references and all(len(c.references) == 0 for c in model.calls)
    assert any("takes 0 reference" in e.message for e in events)


def test_a_cancelled_turn_stops_and_leaves_no_render(sessions):
    import threading

    from longcut.agent.turn.shots import Cancelled

    stop = threading.Event()
    seen = []

    def listener(e):
        seen.append(e)
        if e.stage == "shots":
            stop.set()  # cancel as soon as generation starts

    with pytest.raises(Cancelled):
        sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel(), listeners=[listener], cancel=stop))
    folder = sessions.store.folder("ball")
    assert not list(folder.glob("renders/*.mp4")) and not list(folder.glob("shots/*/*.mp4"))


class CountingPlanner(OfflinePlanner):
    """The offline planner, counting its revisions."""

    def __init__(self):
        super().__init__(use_embeddings=False)
        self.revisions = 0

    def revise(self, project, feedback, vocabulary):
        self.revisions += 1
        return super().revise(project, feedback, vocabulary)


def test_a_refine_interrupted_after_its_revision_resumes_without_revising_again(sessions):
    sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel()))
    planner = CountingPlanner()
    with pytest.raises(Crash):  # the revision is made and checkpointed, then generation dies
        sessions.refine("ball", "make the third shot green",
                        opts=Options(video_model=CrashingModel(crash_on_call=1), planner_impl=planner, candidates=1))
    project = sessions.store.load("ball")
    assert planner.revisions == 1 and not project.pending.awaits_revise
    assert parse_canonical(project.storyboard.shots[2].prompt).objects[0].colour == "green"
    events = []
    model = WorldOracleModel()
    res = sessions.refine("ball", "make the third shot green",
                          opts=Options(video_model=model, planner_impl=planner, candidates=1, listeners=[events.append]))
    assert planner.revisions == 1  # resumed at the chains: the planner was not asked again
    assert any("resuming turn 2 at make_chain" in e.message for e in events)
    assert res.revision.regenerated == ["s3"] and len(model.calls) == 1
    assert parse_canonical(model.calls[0].prompt).objects[0].colour == "green"


def test_feedback_the_planner_refuses_leaves_no_turn_behind(sessions):
    model = WorldOracleModel()
    sessions.make(REQUEST, name="ball", opts=opts(model))
    with pytest.raises(InputError, match="has 3 shots"):
        sessions.refine("ball", "make shot 9 green", opts=opts(model))
    project = sessions.store.load("ball")
    assert project.pending is None and len(project.revisions) == 1
    res = sessions.refine("ball", "add a title 'Home'", opts=opts(model))  # not refused as "unfinished"
    assert res.revision.n == 2 and res.project.storyboard.title == "Home"
