"""Resumable training for the tiny model's VAE and DiT, one job per module.

* ``common`` — the run folder, checkpoints, the lr schedule, EMA (every trainer);
* ``config`` — ``VAETrainConfig`` and ``DiTTrainConfig``, saved in each checkpoint;
* ``clips`` — the VAE's training clips (world shard cache, synthetic source);
* ``vae`` — the VAE's losses and its training loop;
* ``bank`` — the DiT's latent bank (``LatentBank``, ``build_bank``, ``random_bank``);
* ``batches`` — one DiT training batch from the bank (``sample_batch``);
* ``check`` — the evaluator-driven adherence check a DiT run makes as it trains;
* ``dit`` — the DiT's training step and loop;
* ``export`` — shipping a run's weights into ``models/weights/`` (and the DiT card);
* ``cli`` — ``python -m longcut.models.train <what> …``.
"""
