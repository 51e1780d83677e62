"""A vision-language judge for any backend: does a shot show what its prompt asks (``VisionJudge``)."""
