"""Runs the firmware's own tests on the real MicroPython unix port."""

from __future__ import annotations

from pathlib import Path
import subprocess

import pytest

from tests.harness.virtual_prop import MP_TESTS, mp_script

SCRIPTS = sorted(p.name for p in MP_TESTS.glob("test_*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_firmware_suite_passes_on_micropython(script: str, tmp_path: Path) -> None:
    """Every check in the script passes; the output names each one."""
    proc = mp_script(script, [], tmp_path / "out.log", tmp_path)
    proc.start()
    assert proc.proc is not None
    try:
        code = proc.proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    output = proc.log.read_text()
    assert code == 0, output
    assert " 0 failed" in output, output
    assert "\nok " in "\n" + output, output


def test_a_failing_check_fails_the_run(tmp_path: Path) -> None:
    """The MicroPython runner reports a failure with a non-zero exit code."""
    script = tmp_path / "failing.py"
    script.write_text(
        "from check import eq, run, test\n"
        "@test\n"
        "def wrong():\n"
        "    eq(1 + 1, 3, 'sum')\n"
        "run()\n"
    )
    proc = mp_script(str(script), [], tmp_path / "out.log", tmp_path)
    proc.start()
    assert proc.proc is not None
    assert proc.proc.wait(60) == 1
    assert "FAIL wrong" in proc.log.read_text()
