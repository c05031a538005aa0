"""A folder or a zip of images, seen as relative paths and bytes, read safely.

A folder is walked without following links. A zip is read entry by entry, never unpacked to disk, and
refused whole before a single entry is decompressed when it has too many entries, unpacks to too many
bytes, reaches a compression ratio only zip bombs reach, or holds an entry whose name escapes the folder
(`..`, an absolute path) or is a link. Which files are images and what labels they get is
`data/image_folder.py`'s job.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dul_models.core.errors import DULError

# All read from the zip's central directory, before a single entry is decompressed.
MAX_ZIP_ENTRIES = 250_000  # 4× CIFAR-10's 60,000 images; more is a folder's job (each entry costs a seek)
MAX_ZIP_BYTES = 10_000_000_000  # 10 GB unpacked: beyond it, unpack the zip once and import the folder
MAX_COMPRESSION_RATIO = 100  # images barely compress (JPEG/PNG ~1:1, BMP ~3:1); deflate bombs reach 1000:1
RATIO_FREE_BYTES = 1_000_000  # an entry smaller than this does no harm whatever its ratio (a blank BMP)


class ImportSourceError(DULError, ValueError):
    """A folder or zip that cannot be imported as it is (unsafe zip, too few images, bad metadata.csv)."""


def is_hidden(part: str) -> bool:
    """Dot files and folders, and the `__MACOSX` resource forks Finder adds to zips."""
    return part.startswith(".") or part == "__MACOSX"


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the top of the source, "/"-separated ("cats/001.jpg")
    size: int  # bytes, uncompressed for a zip entry


class FolderSource:
    """A folder on disk, walked without following links (a link could lead anywhere, or loop)."""

    kind = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def scan(self) -> tuple[list[SourceFile], list[tuple[str, str]]]:
        """Every regular file, and the skipped entries (hidden, links, empty folders) with why."""
        files: list[SourceFile] = []
        skipped: list[tuple[str, str]] = []
        for top, dirs, names in os.walk(self.root, followlinks=False):
            here = Path(top)
            rel_top = here.relative_to(self.root).as_posix()
            prefix = "" if rel_top == "." else rel_top + "/"
            for d in sorted(dirs):
                if is_hidden(d):
                    skipped.append((prefix + d + "/", "hidden folder"))
                elif (here / d).is_symlink():
                    skipped.append((prefix + d + "/", "a link; links are not followed"))
            dirs[:] = sorted(d for d in dirs if not is_hidden(d) and not (here / d).is_symlink())
            if prefix and not dirs and not names:
                skipped.append((prefix, "empty folder"))
            for name in sorted(names):
                path = here / name
                if is_hidden(name):
                    skipped.append((prefix + name, "hidden file"))
                    continue
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    skipped.append((prefix + name, "a link; links are not followed"))
                elif stat.S_ISREG(info.st_mode):
                    files.append(SourceFile(prefix + name, info.st_size))
        return files, skipped

    def open(self, path: str) -> BinaryIO:
        return open(self.root / path, "rb")

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def close(self) -> None:
        pass


class ZipSource:
    """A zip read entry by entry; every limit and every entry name is checked when it is opened."""

    kind = "zip"

    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportSourceError(f"{path.name} is not a readable zip file ({exc}); re-create it") from None
        try:
            self._entries = _checked_entries(self.zip, path.name)
        except BaseException:
            self.zip.close()
            raise

    def scan(self) -> tuple[list[SourceFile], list[tuple[str, str]]]:
        files: list[SourceFile] = []
        skipped: dict[str, str] = {}
        folders: set[str] = set()
        for name, info in self._entries.items():
            parts = name.rstrip("/").split("/")
            hidden = next((i for i, part in enumerate(parts) if is_hidden(part)), None)
            if hidden is not None:  # one line per hidden file or folder, not one per file inside it
                what = "hidden folder" if hidden < len(parts) - 1 or info.is_dir() else "hidden file"
                skipped.setdefault(
                    "/".join(parts[: hidden + 1]) + ("/" if what == "hidden folder" else ""), what
                )
                continue
            folders.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
            if info.is_dir():
                folders.add(name)
            elif info.flag_bits & 0x1:
                skipped[name] = "encrypted zip entry; re-create the zip without a password"
            else:
                files.append(SourceFile(name, info.file_size))
        for folder in sorted(folders):
            if not any(f.path.startswith(folder) for f in files) and not any(
                other != folder and other.startswith(folder) for other in folders
            ):
                skipped[folder] = "empty folder"
        return sorted(files, key=lambda f: f.path), sorted(skipped.items())

    def open(self, path: str) -> BinaryIO:
        return self.zip.open(self._entries[path])  # seekable: PIL reads the header and seeks back

    def read(self, path: str) -> bytes:
        return self.zip.read(self._entries[path])  # at most the entry's checked uncompressed size

    def close(self) -> None:
        self.zip.close()


def _checked_entries(archive: zipfile.ZipFile, zip_name: str) -> dict[str, zipfile.ZipInfo]:
    """Entry name → info, after refusing the whole zip for too many entries, too many bytes unpacked, a
    compression ratio only a zip bomb reaches, or a name that escapes the folder or is a link."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ImportSourceError(
            f"{zip_name} has {len(infos):,} entries; the limit is {MAX_ZIP_ENTRIES:,}: "
            "unpack it and import the folder instead"
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_ZIP_BYTES:
        raise ImportSourceError(
            f"{zip_name} unpacks to {total / 1e9:.1f} GB; the limit is {MAX_ZIP_BYTES / 1e9:g} GB: "
            "unpack it and import the folder instead"
        )
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = name.rstrip("/").split("/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ImportSourceError(
                f"{zip_name} is refused: its entry {info.filename!r} points outside the folder "
                "('..' or an absolute path); zip the folder from inside it and try again"
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ImportSourceError(
                f"{zip_name} is refused: its entry {info.filename!r} is a symbolic link; "
                "zip the images themselves (zip -r without -y) and try again"
            )
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ImportSourceError(
                f"{zip_name} is refused: its entry {info.filename!r} unpacks {info.compress_size:,} bytes "
                f"to {info.file_size:,} (more than {MAX_COMPRESSION_RATIO}:1, as zip bombs do); "
                "images barely compress, so re-create the zip from the image files"
            )
        entries[name] = info
    return entries


def open_source(path: Path) -> FolderSource | ZipSource:
    """The folder or zip at `path`; anything else is an `ImportSourceError` saying what is expected."""
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            return ZipSource(path)
        raise ImportSourceError(
            f"{path} is neither a folder nor a .zip file; give a folder of images or a zip"
        )
    raise ImportSourceError(f"no file or folder at {path}; give a folder of images or a .zip of one")
