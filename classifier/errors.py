"""The presslens exception tree.

Every surface translates these: the CLI into an exit code and a one-line message, the HTTP API into a 4xx
JSON body, the web page into a readable message. Each message says what was expected, what was found and
what to do. Soft problems (boilerplate removed, a window split) are warnings in the output, not exceptions.
"""


class PresslensError(Exception):
    """Base class of every error presslens raises on purpose."""


class InputError(PresslensError, ValueError):
    """An article, claim or option the user gave cannot be analyzed as given.

    `code` is the stable name the HTTP API answers with (invalid_request, invalid_article, article_too_long,
    input_too_large, too_many_targets, too_many_articles, too_much_work)."""

    def __init__(self, message: str, *, code: str = "invalid_article") -> None:
        super().__init__(message)
        self.code = code


class AnalysisError(PresslensError):
    """Analysing one article failed unexpectedly (a bug, or input the model code could not handle).

    It stays with that article: a batch writes an error record for it, the HTTP API answers 422 for it."""


class ModelLoadError(PresslensError):
    """A checkpoint directory is missing, incomplete or not a presslens checkpoint."""


class BatchError(PresslensError):
    """A batch run cannot go on at all (unreadable input file, output that cannot be resumed, ...)."""
