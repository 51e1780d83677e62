"""Tiny random-config diffusers pipelines written to a folder, for CPU tests.

The sizes are the ones diffusers' own fast tests use (a couple of layers, a
handful of channels), so a whole pipeline call takes well under a second on
CPU. Each builder writes a complete diffusers-layout folder with
``save_pretrained`` (``model_index.json`` + one sub-folder per component), the
same layout as the published "-Diffusers" weights, so tests load it through
the product's real loading code with ``HF_HUB_OFFLINE=1``. The tokenizer is
built offline (a bare ``T5Tokenizer``): no hub, no download.
"""

from __future__ import annotations

from pathlib import Path

import torch

TEXT_DIM = 32  # tiny T5 width; the transformers' text_dim / caption_channels


def _text_encoder(umt5: bool):
    from transformers import T5Config, T5EncoderModel, T5Tokenizer, UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    kw = dict(vocab_size=256, d_model=TEXT_DIM, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
              relative_attention_num_buckets=8, decoder_start_token_id=0)
    model = UMT5EncoderModel(UMT5Config(**kw)) if umt5 else T5EncoderModel(T5Config(**kw))
    tokenizer = T5Tokenizer()  # offline: a bare tokenizer; every word maps to <unk>, which is fine for tests
    return model.eval(), tokenizer


def _wan_vae():
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True]).eval()


def _wan_transformer_kwargs() -> dict:
    return dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
                text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, cross_attn_norm=True,
                qk_norm="rms_norm_across_heads", rope_max_seq_len=32)


def save_tiny_wan(folder: Path) -> Path:
    """A tiny ``WanPipeline`` (Wan2.1 text→video layout) saved into ``folder``."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    text_encoder, tokenizer = _text_encoder(umt5=True)
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(num_layers=2, **_wan_transformer_kwargs()).eval()
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=_wan_vae(), transformer=transformer,
                       scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def save_tiny_wan_vace(folder: Path) -> Path:
    """A tiny ``WanVACEPipeline`` (Wan2.1 VACE layout) saved into ``folder``."""
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )

    text_encoder, tokenizer = _text_encoder(umt5=True)
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(num_layers=3, vace_layers=[0, 2], vace_in_channels=96,
                                            **_wan_transformer_kwargs()).eval()
    pipe = WanVACEPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=_wan_vae(), transformer=transformer,
                           scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def save_tiny_ltx(folder: Path) -> Path:
    """A tiny ``LTXConditionPipeline`` (LTX-Video layout) saved into ``folder``."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    text_encoder, tokenizer = _text_encoder(umt5=False)
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=TEXT_DIM).eval()
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False), upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False,
    ).eval()
    pipe = LTXConditionPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=text_encoder,
                                tokenizer=tokenizer, transformer=transformer)
    pipe.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


# Settings written next to the tiny weights (``longcut.json``): 32×32 frames, windows of 3 latent
# frames (9 frames), 1 latent of history, 2 steps — so a 3-window shot takes about a second on CPU.
TINY_SETTINGS = {"width": 32, "height": 32, "window_frames": 9, "keep": 1, "steps": 2}


def tiny_weights(builder, folder: Path, **settings) -> Path:
    """``builder`` (one of the ``save_tiny_*``) into ``folder``, plus a ``longcut.json`` of test settings."""
    import json

    builder(folder)
    (Path(folder) / "longcut.json").write_text(json.dumps(TINY_SETTINGS | settings))
    return Path(folder)
