import pytest
import torch

from longcut.errors import InputError
from longcut.models.backends.base import History
from longcut.models.context import (
    KIND_ANCHOR,
    KIND_FULL,
    KIND_HALF,
    KIND_QUARTER,
    KIND_REF0,
    PackingSpec,
    check_reference_count,
    pack_context,
    patchify_bcthw,
    token_budget,
    unpatchify_bcthw,
)

from tests.models.dit_helpers import one_thread  # noqa: F401

SPEC = PackingSpec(full=2, half=4, quarter=8, anchor_max_lag=16)
C, HW, P = 4, 8, 2


def test_patchify_round_trip_and_order():
    x = torch.randn(2, C, 3, HW, HW)
    tok = patchify_bcthw(x, P)
    assert tok.shape == (2, 3 * 16, C * P * P)
    assert torch.equal(unpatchify_bcthw(tok, C, 3, HW, HW, P), x)
    # token 0 is the top-left 2×2 patch of frame 0
    assert torch.equal(tok[0, 0].reshape(C, P, P), x[0, :, 0, :2, :2])


def test_token_budget_is_constant_whatever_the_video_length():
    """Stream a 10-minute shot through History; the packed context never grows."""
    g = torch.Generator().manual_seed(0)
    first = torch.randn(1, C, 5, HW, HW, generator=g)
    h = History(first[:, :, :1], first, frames_done=17, keep=SPEC.keep)
    counts, latents_done = [], 5
    refs = torch.randn(1, C, 7, HW, HW, generator=g)
    for _ in range(300):  # 300 chunks × 2 s = 10 minutes
        ctx = pack_context(references=refs, recent=h.recent, anchor=h.anchor, anchor_lag=latents_done, spec=SPEC, p=P)
        counts.append(ctx.n_tokens)
        h = h.appended(torch.randn(1, C, 4, HW, HW, generator=g), frames=16)
        latents_done += 4
    budget = token_budget(SPEC, HW, P, n_refs=7)
    assert max(counts) == budget == 7 * 16 + 16 + 2 * 16 + 2 * 4 + 2 * 1
    assert counts[-1] == counts[10] == budget  # flat once the window is full
    assert h.recent.shape[2] == SPEC.keep


def test_positions_are_true_time_offsets_and_anchor_is_clamped():
    recent = torch.randn(1, C, 14, HW, HW)
    anchor = torch.randn(1, C, 1, HW, HW)
    ctx = pack_context(recent=recent, anchor=anchor, anchor_lag=500, spec=SPEC, p=P)
    t = ctx.pos[:, 0]
    full = t[ctx.kind == KIND_FULL].unique().tolist()
    half = t[ctx.kind == KIND_HALF].unique().tolist()
    quarter = t[ctx.kind == KIND_QUARTER].unique().tolist()
    assert full == [-2.0, -1.0]
    assert half == [-5.5, -3.5]  # frames (-6, -5) and (-4, -3)
    assert quarter == [-12.5, -8.5]  # frames -14..-11 and -10..-7
    assert t[ctx.kind == KIND_ANCHOR].unique().tolist() == [-16.0]  # clamped
    assert (t < 0).all()
    # a pooled token sits at the centre of the region it pools
    assert sorted(ctx.pos[ctx.kind == KIND_QUARTER][:, 1].unique().tolist()) == [3.5]


def test_pooled_history_tokens_are_region_means():
    recent = torch.randn(1, C, 6, HW, HW)
    ctx = pack_context(recent=recent, spec=SPEC, p=P)
    half = ctx.tokens[0, ctx.kind == KIND_HALF]  # 2 groups × 4 tokens
    pooled = torch.nn.functional.avg_pool3d(recent[:, :, 2:4], (2, 2, 2))  # 1 C 1 4 4
    assert torch.allclose(half[4:], patchify_bcthw(pooled, P)[0], atol=1e-6)


def test_short_history_packs_what_exists():
    ctx = pack_context(recent=torch.randn(1, C, 1, HW, HW), anchor=torch.randn(1, C, 1, HW, HW), anchor_lag=1, spec=SPEC, p=P)
    assert ctx.n_tokens == 32
    assert pack_context(spec=SPEC, p=P) is None


def test_reference_limit_error():
    refs = torch.randn(1, C, 8, HW, HW)
    with pytest.raises(InputError, match="8 reference images given; the model takes at most 7"):
        pack_context(references=refs, spec=SPEC, p=P)
    check_reference_count(7)
    ctx = pack_context(references=refs[:, :, :3], spec=SPEC, p=P)
    assert ctx.kind.unique().tolist() == [KIND_REF0, KIND_REF0 + 1, KIND_REF0 + 2]
