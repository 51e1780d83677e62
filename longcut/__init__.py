"""longcut: agentic long-video creation.

The import package is assembled from the repository's top-level folders:
``agent/`` → ``longcut.agent``, ``tools/`` → ``longcut.tools``,
``models/`` → ``longcut.models``, ``prompts/`` → ``longcut.prompts``.
"""

__version__ = "0.1.0"
