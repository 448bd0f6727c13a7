"""Servers the tests start in their own session (so that a whole process group can be stopped) die with the tests."""
from __future__ import annotations

import shutil

SETPRIV = shutil.which("setpriv")  # util-linux, on every Debian


def dying_with_the_tests(argv: list[str]) -> list[str]:
    """`argv` run so that the kernel sends it SIGTERM when the test process dies, even by SIGKILL.

    A server started with start_new_session=True outlives a killed pytest otherwise (no terminal hangs it up), and
    keeps its port and its CPU. `setpriv --pdeathsig` sets the parent-death signal and then execs `argv`; the signal
    stays set across further execs (`bash -c "exec ..."`). adekg's front dies of it, and its fork server and workers
    follow when their pipes close.
    """
    return [SETPRIV, "--pdeathsig", "TERM", "--", *argv] if SETPRIV else list(argv)
