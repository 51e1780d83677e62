"""``python -m longcut.models.train <what> …`` (see ``cli.py``)."""

from longcut.models.train.cli import main

main()
