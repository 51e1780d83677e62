"""Where a turn's chains run: the executor seam beside the graph (docs/scale.md)."""
