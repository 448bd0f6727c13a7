"""Known defects of upstream libraries, kept so that we notice when an upgrade fixes them (docs/upstream/)."""
import subprocess
import sys
from pathlib import Path

import pyoxigraph

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "upstream" / "pyoxigraph_order_by_panic.py"


def test_pyoxigraph_order_by_panic_still_happens():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    # Once this fails, pyoxigraph sorts these dateTimes: update docs/upstream/pyoxigraph-order-by-panic.md and drop it.
    assert result.returncode == -6 or result.returncode == 134, (pyoxigraph.__version__, result.stdout)
    assert "does not correctly implement a total order" in result.stderr
