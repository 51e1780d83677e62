"""What the executor tests share: a planner whose storyboard has six chains (two of them continuous)."""

from dataclasses import replace

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import Plan
from longcut.agent.state import Storyboard

from tests.agent.turn_helpers import REQUEST

# (base shot, seed, continuous): six chains, a1+a2 and c1+c2 each one chain of two shots
SIX_CHAINS = [("s1", 1, False), ("s1", 1, True), ("s3", 2, False), ("s1", 3, False), ("s1", 3, True),
              ("s3", 4, False), ("s1", 5, False), ("s3", 6, False)]


class SixChainPlanner(OfflinePlanner):
    """Plans the turn helpers' request, then lays its shots out as eight 1-second shots in six chains."""

    def plan(self, req):
        base = super().plan(replace(req, request=REQUEST, seconds=12))
        shots = {s.id: s for s in base.storyboard.shots}
        board = [shots[src].model_copy(update={"id": f"c{i + 1}", "seed": seed, "seconds": 1.0, "continuous": cont})
                 for i, (src, seed, cont) in enumerate(SIX_CHAINS)]
        return Plan(rewritten_request=base.rewritten_request, seconds=float(len(board)),
                    storyboard=Storyboard(shots=board), references=base.references)
