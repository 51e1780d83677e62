"""The ``longcut`` command line: ``app.py`` (the typer app and ``main``), one module per command group, ``display.py`` (what they share)."""
