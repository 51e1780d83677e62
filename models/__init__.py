"""The diffusion stack: world, VAE, DiT, sampler, context packing, backends."""
