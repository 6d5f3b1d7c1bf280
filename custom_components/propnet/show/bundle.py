"""A show as one file to carry between Home Assistants: a zip of its YAML and the files beside it that it names.

Plain file I/O (run it in an executor). Exporting reads the show the way
loading it does and packs exactly the files that reading asked for. Importing
checks the whole archive before anything is written: one show file at the
top, plain file names only, sizes within limits, the show loading from the
archive's own files; then each file lands whole (written aside and renamed).
"""

from __future__ import annotations

import io
from pathlib import Path
import re
from typing import Final
import zipfile

from .compile import MAX_FILE_BYTES, NAME, ShowError, load_show

SUFFIX: Final = ".propnet-show.zip"
MAX_FILES: Final = 64
# Sequences and sounds of a whole show, uncompressed.
MAX_BUNDLE_BYTES: Final = 256 * 1024 * 1024
# A name a file beside a show may have: no folder, no dot first.
FILE_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


# What zipfile raises for an archive it cannot read: damaged, from a newer
# zip version, compressed a way it lacks, or encrypted (RuntimeError).
UNREADABLE: Final = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class BundleError(Exception):
    """The archive cannot be a show's; the message says why."""


def export_show(folder: Path, name: str) -> bytes:
    """Return show ``name`` of ``folder`` and the files it names, zipped."""
    source = folder / f"{name}.yaml"
    if not NAME.fullmatch(name) or not source.is_file() or source.is_symlink():
        raise BundleError(f"there is no show {name!r} in {folder}")
    read: dict[str, bytes] = {}

    def beside(file: str) -> bytes:
        path = folder / file
        if not FILE_NAME.fullmatch(file) or path.is_symlink() or not path.is_file():
            raise OSError(f"{file} is not a file in {folder}")
        read[file] = path.read_bytes()
        return read[file]

    text = source.read_text(encoding="utf-8")
    # Only a show that loads is exported; its reading names its files.
    load_show(text, str(source), name, beside)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(source.name, text)
        for file, data in sorted(read.items()):
            archive.writestr(file, data)
    return out.getvalue()


def import_show(data: bytes, folder: Path, *, replace: bool = False) -> str:
    """Put the show in the archive ``data`` into ``folder``; return its name.

    Raises BundleError for an archive that is not a show's, or whose files
    are there already (unless ``replace``), and ShowError for a show that
    does not load; nothing is written then.
    """
    files = _checked(data)
    (show_file,) = [file for file in files if file.endswith(".yaml")]
    name = show_file.removesuffix(".yaml")
    try:
        text = files[show_file].decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{show_file} is not UTF-8 text") from None

    def beside(file: str) -> bytes:
        if file not in files:
            raise OSError(f"{file} is not in the archive")
        return files[file]

    load_show(text, f"{name}{SUFFIX}/{show_file}", name, beside)
    if not replace:
        there = sorted(file for file in files if (folder / file).exists())
        if there:
            raise BundleError(
                f"already in {folder}: {', '.join(there)}; import it to replace them"
            )
    folder.mkdir(parents=True, exist_ok=True)
    for file, content in files.items():
        _write_whole(folder / file, content)
    return name


def _checked(data: bytes) -> dict[str, bytes]:
    """Return the archive's files by name, once every rule holds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UNREADABLE as err:
        raise BundleError(f"not a zip archive this can read: {err}") from None
    with archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        if len(entries) > MAX_FILES:
            raise BundleError(
                f"{len(entries)} files; a show brings at most {MAX_FILES}"
            )
        names = [entry.filename for entry in entries]
        for file in names:
            if not FILE_NAME.fullmatch(file):
                raise BundleError(f"{file!r}: only plain file names, no folders")
        if len(set(names)) != len(names):
            raise BundleError("a file name comes twice")
        shows = [file for file in names if file.endswith(".yaml")]
        if len(shows) != 1:
            raise BundleError(f"one show file (.yaml) at the top, not {len(shows)}")
        if not NAME.fullmatch(shows[0].removesuffix(".yaml")):
            raise BundleError(f"{shows[0]}: a show's name is a-z, 0-9 and _")
        # The sizes the archive claims are checked before, and the bytes
        # read after: a lying header cannot make us hold more.
        claimed = sum(entry.file_size for entry in entries)
        if claimed > MAX_BUNDLE_BYTES:
            raise BundleError(f"{claimed} bytes unpacked; at most {MAX_BUNDLE_BYTES}")
        files: dict[str, bytes] = {}
        total = 0
        for entry in entries:
            limit = MAX_FILE_BYTES if entry.filename.endswith(".yaml") else None
            files[entry.filename] = _read(archive, entry, limit)
            total += len(files[entry.filename])
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(f"more than {MAX_BUNDLE_BYTES} bytes unpacked")
    return files


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int | None) -> bytes:
    if limit is not None and entry.file_size > limit:
        raise BundleError(f"{entry.filename}: a show file is at most {limit} bytes")
    most = entry.file_size
    try:
        with archive.open(entry) as member:
            content = member.read(most + 1)
    except UNREADABLE as err:
        raise BundleError(f"{entry.filename}: cannot be unpacked: {err}") from None
    if len(content) > most:
        raise BundleError(f"{entry.filename}: larger than it says")
    return content


def _write_whole(path: Path, content: bytes) -> None:
    aside = path.with_name(f".{path.name}.importing")
    aside.write_bytes(content)
    aside.replace(path)


__all__ = ["SUFFIX", "BundleError", "ShowError", "export_show", "import_show"]
