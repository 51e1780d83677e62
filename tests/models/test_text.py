import pytest
import torch

from longcut.errors import LongcutError
from longcut.models.text import MAX_TOKENS, TEXT_DIM, TextEncoder, get_text_encoder


@pytest.fixture(scope="module")
def enc() -> TextEncoder:
    return get_text_encoder()


def test_tokens_shape_and_mask(enc):
    out = enc.tokens(["a red circle moves left", ""])
    assert out.tokens.shape == (2, MAX_TOKENS, TEXT_DIM)
    assert out.mask.dtype == torch.bool
    assert out.mask[0].sum() > out.mask[1].sum() >= 2  # [CLS] [SEP] for the empty prompt


def test_cache_returns_identical_states_and_batch_independence(enc):
    a = enc.tokens(["a blue square moves up on a night background"]).tokens
    b = enc.tokens(["something else entirely", "a blue square moves up on a night background"]).tokens
    assert torch.equal(a[0], b[1])


def test_sentence_similarity_prefers_paraphrase(enc):
    v = enc.sentence(["a red ball moves left", "a crimson ball drifts leftward", "the night sky is dark"])
    assert (v[0] @ v[1]) > (v[0] @ v[2])
    assert torch.allclose(v.norm(dim=-1), torch.ones(3), atol=1e-5)


def test_single_string_is_refused(enc):
    with pytest.raises(TypeError):
        enc.tokens("a red circle")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(LongcutError, match="no config.json"):
        TextEncoder(tmp_path)
