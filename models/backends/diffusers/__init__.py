"""Backends over diffusers pipelines with open weights: Wan2.1 (``wan``) and LTX-Video (``ltx``) on the shared window loop (``common``), weights folders (``weights``) and devices (``runtime``)."""
