"""A show as one file: exported with exactly the files it names, imported only when the whole archive holds."""

from __future__ import annotations

import io
from pathlib import Path
import zipfile

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.show.bundle import (
    MAX_FILES,
    BundleError,
    export_show,
    import_show,
)
from custom_components.propnet.show.compile import ShowError, load_show
from custom_components.propnet.show.fseq import write_fseq

CRYPT = """\
name: Crypt
cues:
  - {at: 0, prop: skull, turn_on: lid}
  - {at: 0.5, sequence: storm.fseq}
"""


@pytest.fixture
def shows(tmp_path: Path) -> Path:
    """Return a show folder with the crypt, its sequence, and a file it does not name."""
    folder = tmp_path / "shows"
    folder.mkdir()
    (folder / "crypt.yaml").write_text(CRYPT)
    (folder / "storm.fseq").write_bytes(
        write_fseq([bytes([n] * 6) for n in range(8)], 25)
    )
    (folder / "notes.txt").write_text("not part of any show")
    return folder


def zipped(files: dict[str, bytes]) -> bytes:
    """Return a zip of ``files``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_show_travels_to_another_folder_with_its_sequence(
    shows: Path, tmp_path: Path
) -> None:
    """Export packs the show and the one file it names; import gives back the same show."""
    data = export_show(shows, "crypt")
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == [
        "crypt.yaml",
        "storm.fseq",
    ]
    other = tmp_path / "elsewhere"
    assert import_show(data, other) == "crypt"
    assert sorted(p.name for p in other.iterdir()) == ["crypt.yaml", "storm.fseq"]

    def beside(name: str) -> bytes:
        return (other / name).read_bytes()

    again = load_show((other / "crypt.yaml").read_text(), "crypt.yaml", "crypt", beside)
    original = load_show(
        CRYPT, "crypt.yaml", "crypt", lambda name: (shows / name).read_bytes()
    )
    assert again == original


def test_an_import_over_a_show_that_is_there_needs_replace(shows: Path) -> None:
    """The same names are refused, naming them; with replace the files are overwritten."""
    data = export_show(shows, "crypt")
    (shows / "storm.fseq").write_bytes(b"changed since")
    with pytest.raises(BundleError, match=r"already in .*crypt.yaml, storm.fseq"):
        import_show(data, shows)
    assert (shows / "storm.fseq").read_bytes() == b"changed since"
    import_show(data, shows, replace=True)
    assert (shows / "storm.fseq").read_bytes() != b"changed since"
    assert not [p for p in shows.iterdir() if p.name.startswith(".")]


def test_only_a_show_that_loads_is_exported(shows: Path) -> None:
    """A missing sequence or a show that is not there is an error, not a half archive."""
    (shows / "storm.fseq").unlink()
    with pytest.raises(ShowError, match=r"storm\.fseq"):
        export_show(shows, "crypt")
    with pytest.raises(BundleError, match="no show 'cellar'"):
        export_show(shows, "cellar")
    with pytest.raises(BundleError):
        export_show(shows, "../crypt")


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"../crypt.yaml": CRYPT.encode()}, "only plain file names"),
        ({"sub/crypt.yaml": CRYPT.encode()}, "only plain file names"),
        ({".crypt.yaml": CRYPT.encode()}, "only plain file names"),
        ({"a.yaml": b"cues: []", "b.yaml": b"cues: []"}, "one show file"),
        ({"storm.fseq": b"x"}, "one show file"),
        ({"Crypt.yaml": CRYPT.encode()}, "a show's name"),
        ({"crypt.yaml": b"\xff\xfe"}, "not UTF-8"),
        (
            {f"f{n}.wav": b"" for n in range(MAX_FILES)} | {"crypt.yaml": b""},
            "at most 64",
        ),
    ],
)
def test_an_archive_that_is_not_a_shows_is_refused_and_nothing_written(
    tmp_path: Path, files: dict[str, bytes], words: str
) -> None:
    """Each rule names what broke it; the folder stays as it was."""
    with pytest.raises(BundleError, match=words):
        import_show(zipped(files), tmp_path / "shows")
    assert not (tmp_path / "shows").exists()


def test_a_show_that_does_not_load_from_the_archive_is_refused(tmp_path: Path) -> None:
    """Its sequence left out: the show's own error, with the archive in its file name."""
    with pytest.raises(ShowError, match=r"crypt.propnet-show.zip/crypt.yaml:4"):
        import_show(zipped({"crypt.yaml": CRYPT.encode()}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_member_larger_than_its_header_says_is_refused(tmp_path: Path) -> None:
    """A header that lies about a file's size cannot make the import hold more."""
    data = bytearray(zipped({"crypt.yaml": b"cues: []\n" * 100}))
    # The local header is read first; the central directory's size says 5.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (5).to_bytes(4, "little")
    with pytest.raises(BundleError, match=r"larger than it says|cannot be unpacked"):
        import_show(bytes(data), tmp_path)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_are_refused_with_a_reason_or_imported(data: bytes) -> None:
    """Random bytes, and a real archive cut short or overwritten, never crash the import."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        reason = ""
        try:
            name = import_show(data, Path(folder))
        except (BundleError, ShowError) as err:
            reason = str(err)
        if reason:
            assert not list(Path(folder).iterdir()), "nothing written"
        else:
            assert (Path(folder) / f"{name}.yaml").is_file()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.binary(min_size=1, max_size=16))
def test_a_damaged_archive_is_refused_with_a_reason(at: int, garbage: bytes) -> None:
    """A good export overwritten anywhere: refused or, where the damage missed, imported."""
    import tempfile

    good = zipped(
        {"crypt.yaml": b"name: Crypt\ncues:\n  - {at: 0, prop: skull, turn_on: lid}\n"}
    )
    at %= len(good)
    damaged = good[:at] + garbage + good[at + len(garbage) :]
    with tempfile.TemporaryDirectory() as folder:
        reason = ""
        try:
            name = import_show(damaged, Path(folder))
        except (BundleError, ShowError) as err:
            reason = str(err)
        if reason:
            assert not list(Path(folder).iterdir()), "nothing written"
        else:
            assert (Path(folder) / f"{name}.yaml").is_file()
