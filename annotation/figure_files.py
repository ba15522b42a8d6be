"""Exam figures on disk: checked, staged and put in the campaign's folder only once the import commits.

A figure is an image (PNG, JPEG, GIF or WebP, by its first bytes, not only its name), named by a plain file
name (no folder, no ``..``), at most HYOKA_EXAM_FIGURE_MAX_BYTES. The same name with other bytes than a figure
already in the campaign's folder is refused: a published question's figure never changes under it.
"""

import hashlib
import shutil
import uuid
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction

from annotation.errors import HyokaError

IMAGE_MAGIC = {  # the first bytes of each image type accepted, and the suffixes it goes by
    "png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "gif": (b"GIF8", (".gif",)),
    "webp": (b"RIFF", (".webp",)),
}
ENCRYPTED = 0x1  # a zip member's flag bit saying it is encrypted
CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                 ".webp": "image/webp"}


def campaign_figure_dir(slug):
    return Path(settings.HYOKA_EXAM_FIGURES_DIR) / slug


def uploaded_figures_dir(slug):
    """Where zips of figures uploaded to a campaign are unpacked, for the exam files uploaded after them (what
    --images DIR is to import_exam); not served: a figure is served once a question that names it is imported."""
    return Path(settings.HYOKA_EXAM_FIGURES_DIR) / ".uploaded" / slug


def check_figure_name(name):
    """The name of a figure as a plain file name with an image suffix; HyokaError otherwise."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", "..") \
            or name.startswith(".") or "\x00" in name:
        raise HyokaError(f"{name!r} is not a plain file name (no folders, no leading dot)")
    if Path(name).suffix.lower() not in CONTENT_TYPES:
        raise HyokaError(f"{name} is not an image file name (.png, .jpg, .jpeg, .gif or .webp)")
    return name


def check_image_bytes(name, head):
    """Refuse a file whose first bytes are no image of the type its name says."""
    suffix = Path(name).suffix.lower()
    for magic, suffixes in IMAGE_MAGIC.values():
        if suffix in suffixes and head.startswith(magic) and (suffix != ".webp" or head[8:12] == b"WEBP"):
            return
    raise HyokaError(f"{name} is not a {suffix.lstrip('.').upper()} image (its content says otherwise)")


def figure_from_folder(folder, name):
    """The path of figure ``name`` in ``folder``, checked (name, size, content); HyokaError otherwise."""
    check_figure_name(name)
    path = Path(folder) / name
    if not path.is_file():
        raise HyokaError(f"figure {name} is not in {folder}")
    size = path.stat().st_size
    if size > settings.HYOKA_EXAM_FIGURE_MAX_BYTES:
        raise HyokaError(f"figure {name} is {size:,} bytes, over the limit of "
                         f"{settings.HYOKA_EXAM_FIGURE_MAX_BYTES:,} (HYOKA_EXAM_FIGURE_MAX_BYTES)")
    with open(path, "rb") as handle:
        check_image_bytes(name, handle.read(16))
    return path


def unpack_figures_zip(zip_path, folder, joining=None):
    """Unpack a zip of figures into ``folder``: image files only, by plain names (a member's folders are
    dropped; absolute paths and ``..`` refused), each at most HYOKA_EXAM_FIGURE_MAX_BYTES and at most
    HYOKA_EXAM_ZIP_MAX_BYTES in all once unpacked; a member that unpacks to more than its header declares, or
    whose bytes are damaged, is refused. With ``joining`` (the folder the figures are to be moved into), the
    figures already there and these together stay within HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES. Returns the
    names unpacked. HyokaError otherwise; the caller discards ``folder``."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise HyokaError(f"the figures file is not a zip archive ({error})") from None
    with archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        total = sum(member.file_size for member in members)
        if total > settings.HYOKA_EXAM_ZIP_MAX_BYTES:
            raise HyokaError(f"the figures zip unpacks to {total:,} bytes, over the limit of "
                             f"{settings.HYOKA_EXAM_ZIP_MAX_BYTES:,} (HYOKA_EXAM_ZIP_MAX_BYTES)")
        names = [_member_name(member) for member in members]
        if len(set(names)) != len(names):
            raise HyokaError("the figures zip holds two files of the same name in different folders")
        if joining is not None:
            check_uploaded_total(joining, {name: member.file_size for name, member in zip(names, members)})
        Path(folder).mkdir(parents=True, exist_ok=True)
        for member, name in zip(members, names):
            _unpack_member(archive, member, Path(folder) / name)
    return names


def check_uploaded_total(folder, incoming):
    """Refuse figures (``incoming``: name -> bytes) that would take ``folder``, a campaign's uploaded figures, over
    HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES; a figure of the same name already there is replaced, so it counts once.
    Two zips unpacked at the same moment are each checked against the folder as it was: the limit keeps a
    campaign's disk use in bounds, not to the byte."""
    limit = settings.HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES
    folder = Path(folder)
    kept = sum(path.stat().st_size for path in folder.iterdir()
               if path.is_file() and path.name not in incoming) if folder.is_dir() else 0
    total = kept + sum(incoming.values())
    if total > limit:
        raise HyokaError(f"with this zip the figures uploaded to the campaign would come to {total:,} bytes "
                         f"({kept:,} already there), over the limit of {limit:,} per campaign "
                         f"(HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES)")


def _member_name(member):
    path = PurePosixPath(member.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or member.filename.startswith("/"):
        raise HyokaError(f"the figures zip holds {member.filename!r}: no absolute paths or '..' are allowed")
    if member.file_size > settings.HYOKA_EXAM_FIGURE_MAX_BYTES:
        raise HyokaError(f"{member.filename} is {member.file_size:,} bytes, over the limit of "
                         f"{settings.HYOKA_EXAM_FIGURE_MAX_BYTES:,} per figure")
    try:
        return check_figure_name(path.name)
    except HyokaError as error:
        raise HyokaError(f"the figures zip holds {member.filename!r}: {error}") from None


def _unpack_member(archive, member, target):
    """Copy one member out, never more bytes than its header declares. A lying header is refused: Python's
    zipfile stops at the declared size and then finds the CRC wrong, which is reported as such. So is a member
    zipfile cannot open: encrypted (it wants a password: RuntimeError), or packed by a compression method or an
    encryption it does not read (NotImplementedError)."""
    try:
        _copy_member(archive, member, target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise HyokaError(f"{member.filename} in the figures zip is damaged or unpacks to more than its declared "
                         f"{member.file_size:,} bytes ({error})") from None
    except (RuntimeError, NotImplementedError) as error:
        reason = ("is encrypted: zip the figures again without a password" if member.flag_bits & ENCRYPTED else
                  f"cannot be unpacked here ({error}): zip the figures again with the usual compression (deflate)")
        raise HyokaError(f"{member.filename} in the figures zip {reason}") from None


def _copy_member(archive, member, target):
    limit = member.file_size
    with archive.open(member) as source, open(target, "wb") as sink:
        head = source.read(16)
        check_image_bytes(target.name, head)
        sink.write(head)
        written = len(head)
        while chunk := source.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                raise HyokaError(f"{member.filename} unpacks to more than its declared size")
            sink.write(chunk)


class FigureStaging:
    """Figures copied beside the campaign's folder during an import and moved in when its transaction commits,
    so a failed import leaves no figure in the folder.

    Use as a context manager inside the import's transaction: leaving it normally moves the staged figures in
    on commit; leaving it by an exception removes them.
    """

    def __init__(self, slug):
        self.folder = campaign_figure_dir(slug)
        self.staging = self.folder.parent / f".staging-{slug}-{uuid.uuid4().hex}"
        self.names = set()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            transaction.on_commit(self._move_in)
        else:
            self.discard()
        return False

    def add(self, source):
        """Stage the checked figure at ``source``; an identical one already in the folder is kept as it is."""
        name = source.name
        stored = self.folder / name
        if stored.exists():
            if _digest(stored) != _digest(source):
                raise HyokaError(f"figure {name} differs from the campaign's figure of that name; a figure never "
                                 f"changes once imported (give the new one another name)")
            return
        if name not in self.names:
            self.staging.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, self.staging / name)
            self.names.add(name)

    def _move_in(self):
        if self.names:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name in self.names:
                (self.staging / name).replace(self.folder / name)
        self.discard()

    def discard(self):
        shutil.rmtree(self.staging, ignore_errors=True)


def _digest(path):
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
