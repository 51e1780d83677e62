"""The turn engine: the langgraph graph (``graph``), shots and their retries (``shots``, ``retry``), assembly, and sessions."""
