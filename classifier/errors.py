"""The presslens exception tree.

Every surface translates these: the CLI into an exit code and a one-line message, the HTTP API into a 4xx
JSON body, the web page into a readable message. Each message says what was expected, what was found and
what to do. Soft problems (boilerplate removed, a window split) are warnings in the output, not exceptions.
"""


class PresslensError(Exception):
    """Base class of every error presslens raises on purpose."""


class InputError(PresslensError, ValueError):
    """An article, claim or option the user gave cannot be analyzed as given."""


class ModelLoadError(PresslensError):
    """A checkpoint directory is missing, incomplete or not a presslens checkpoint."""


class BatchError(PresslensError):
    """A batch run cannot go on at all (unreadable input file, output that cannot be resumed, ...)."""
