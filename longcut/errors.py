"""Errors that users see.

A ``LongcutError`` is a problem with the user's input or environment: the CLI
prints its message (no traceback unless ``--debug``) and the API turns it into
a 4xx reply. Anything else is a bug in longcut and propagates loudly.
"""


class LongcutError(Exception):
    """A user-facing error whose message says what was wrong and what is allowed."""


class InputError(LongcutError, ValueError):
    """Bad input: a missing or corrupt file, an out-of-range value, an unsafe path."""


class MediaError(LongcutError):
    """ffmpeg failed; the message carries the tail of its stderr."""
