"""SHA-256 of release files: computed while they are written, listed in SHA256SUMS, checked on download."""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class WrittenFile:
    """A file of a release as written: its path relative to the release folder, size and SHA-256."""

    path: str
    size: int
    sha256: str
    format: str
    table: str = ""
    rows: int | None = None


class HashingFile(io.RawIOBase):
    """A write-only binary file that hashes and counts what goes through it.

    It is not seekable, so zipfile writes data descriptors and pyarrow writes
    sequentially; ``tell()`` is the number of bytes written.
    """

    def __init__(self, path):
        super().__init__()
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        written = memoryview(data).nbytes
        self._file.write(data)
        self._hash.update(data)
        self.size += written
        return written

    def tell(self):
        return self.size

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        self._file.close()
        super().close()

    @property
    def hexdigest(self):
        return self._hash.hexdigest()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def sha256sums_text(files):
    """The lines of a SHA256SUMS file for ``files`` (WrittenFile), as ``sha256sum`` writes and checks them."""
    return "".join(f"{file.sha256}  {file.path}\n" for file in files)


def file_matches(folder, path, size, sha256):
    """Whether ``folder/path`` exists with this size and SHA-256 (the size is checked first: it is free)."""
    target = Path(folder) / path
    try:
        if target.stat().st_size != size:
            return False
    except FileNotFoundError:
        return False
    return sha256_of(target) == sha256
