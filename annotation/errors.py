from contextlib import contextmanager
from contextvars import ContextVar


class HyokaError(Exception):
    """A failure the user can act on; its message says what is wrong and what to do."""


class FieldError(HyokaError):
    """A bad value in one field of one record; the importer adds the file and line."""

    def __init__(self, field, reason):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RecordError(HyokaError):
    """A bad record in an import file, reported as ``FILE:LINE: field: reason``."""

    def __init__(self, path, line, field, reason):
        where = f"{path}:{line}" if line else str(path)  # line 0: the file as a whole
        super().__init__(f"{where}: {field}: {reason}")
        self.path = path
        self.line = line
        self.field = field
        self.reason = reason


class RecordErrors(HyokaError):
    """The bad records of one import, gathered instead of stopping at the first (uploads show them all).

    Keeps the ``limit`` errors of the first lines (records are checked a chunk at a time, not quite in line
    order) and counts the rest. Raised once the file has been read, so that the import's transaction is
    rolled back and nothing is written.
    """

    def __init__(self, limit=50):
        super().__init__()
        self.limit, self.count, self._kept = limit, 0, []

    def __str__(self):
        lines = [str(error) for error in self.first]
        if self.count > len(lines):
            lines.append(f"... and {self.count - len(lines)} more")
        return "\n".join(lines)

    @property
    def first(self):
        return sorted(self._kept, key=_line_of)[:self.limit]

    def add(self, error):
        self.count += 1
        self._kept.append(error)
        if len(self._kept) > 2 * self.limit:
            self._kept = self.first


def _line_of(error):
    return getattr(error, "line", 0)  # an error of the whole file (line 0), or of no line, comes first


_collecting = ContextVar("hyoka_record_errors", default=None)


@contextmanager
def collecting_record_errors(errors):
    """Within the block, bad records go to ``errors`` (a RecordErrors) and the import reads on."""
    token = _collecting.set(errors)
    try:
        yield errors
    finally:
        _collecting.reset(token)


def collected(error):
    """Give a RecordError to the collector of the block, if any: True when it was taken (read on),
    False when the caller must raise it (commands stop at the first bad record)."""
    errors = _collecting.get()
    if errors is None:
        return False
    errors.add(error)
    return True
