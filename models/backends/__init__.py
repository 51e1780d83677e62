"""Video model backends behind one protocol."""
