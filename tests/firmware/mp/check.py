"""A small test runner for MicroPython: the unix port has no pytest."""

import sys

_tests = []


def test(fn):
    """Register ``fn`` as a test."""
    _tests.append(fn)
    return fn


def eq(actual, expected, what=""):
    """Fail unless actual == expected."""
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def raises(code, fn, *args):
    """Fail unless fn(*args) raises CommandError with ``code``."""
    from propnet.components import CommandError

    try:
        fn(*args)
    except CommandError as e:
        eq(e.code, code, "error code")
        return e
    raise AssertionError("expected CommandError " + code)


def run():
    """Run every registered test; exit 1 if any failed."""
    failed = 0
    for fn in _tests:
        try:
            fn()
            print("ok", fn.__name__)
        except Exception as e:
            failed += 1
            print("FAIL", fn.__name__, repr(e))
            sys.print_exception(e)
    print("%d passed, %d failed" % (len(_tests) - failed, failed))
    sys.exit(1 if failed else 0)
