"""What the planner may call: typed functions with pydantic argument models."""
