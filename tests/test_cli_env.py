"""ADEKG_* environment fallbacks of the flags: typed, overridden by the flag, and a bad value is one clear error of
the command that uses it (it used to crash every command with a traceback while the parser was built)."""
from __future__ import annotations

import pytest

from graph.cli import parser

from .conftest import adekg_in_process


def test_the_environment_gives_typed_defaults_and_a_flag_overrides_it(monkeypatch):
    monkeypatch.setenv("ADEKG_PORT", "5123")
    monkeypatch.setenv("ADEKG_TIMEOUT", "2.5")
    args = parser().parse_args(["serve"])
    assert (args.port, args.timeout) == (5123, 2.5) and isinstance(args.port, int)
    assert parser().parse_args(["serve", "--port", "6000"]).port == 6000
    monkeypatch.delenv("ADEKG_PORT")
    assert parser().parse_args(["serve"]).port == 5000


def test_a_bad_value_for_one_command_leaves_the_others_working(monkeypatch):
    monkeypatch.setenv("ADEKG_PORT", "abc")
    monkeypatch.setenv("ADEKG_MAX_RECORD_BYTES", "lots")
    result = adekg_in_process("terms", "mechanism")
    assert result.returncode == 0 and "immune-mediated" in result.stdout


@pytest.mark.parametrize("variable, value, command, message", [
    ("ADEKG_TIMEOUT", "x", ["serve"], "argument --timeout: 'x' (from ADEKG_TIMEOUT) is not a number"),
    ("ADEKG_PORT", "80a", ["serve"], "argument --port: '80a' (from ADEKG_PORT) is not a whole number"),
    ("ADEKG_MAX_RECORD_BYTES", "1e9", ["validate"],
     "argument --max-record-bytes: '1e9' (from ADEKG_MAX_RECORD_BYTES) is not a whole number"),
])
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, variable, value, command, message):
    monkeypatch.setenv(variable, value)
    result = adekg_in_process(*command)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].endswith(message)
    assert "Traceback" not in result.stderr


def test_a_bad_flag_value_is_named_without_a_variable():
    result = adekg_in_process("serve", "--workers", "two")
    assert result.returncode == 2 and result.stderr.strip().endswith("argument --workers: 'two' is not a whole number")
