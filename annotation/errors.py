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
