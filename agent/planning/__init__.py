"""Planning: the planner protocol (``planner``), its offline and OpenAI-compatible implementations, and the text work they share."""
