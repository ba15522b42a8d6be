"""Writes to the exports domain: releases and their lifecycle (releases.py) and their files (build.py)."""

from .releases import (
    ReleaseFileMismatch, release_build, release_build_is_stale, release_check_version, release_create,
    release_discard, release_file_for_download, release_folder, release_publish, release_rebuild, release_withdraw,
    releases_root,
)

__all__ = [
    "ReleaseFileMismatch", "release_build", "release_build_is_stale", "release_check_version", "release_create",
    "release_discard", "release_file_for_download", "release_folder", "release_publish", "release_rebuild",
    "release_withdraw", "releases_root",
]
