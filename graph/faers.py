"""Source: an FDA FAERS quarterly ASCII extract, read as streams of checked rows.

The extract is seven `$`-delimited tables with a header row (DEMO, DRUG, REAC, OUTC, THER, INDI, RPSR)
and, where present, the list of deleted cases. Reading never holds a whole table in memory: DEMO is read
once to choose the latest version of every case (FAERS practice), the other tables are streamed.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from pathlib import Path
from typing import Callable, Iterator

from .errors import AdekgError

TABLES = ("DEMO", "DRUG", "REAC", "OUTC", "THER", "INDI", "RPSR")
COLUMNS = {
    "DEMO": ("primaryid", "caseid", "caseversion", "i_f_code", "event_dt", "mfr_dt", "init_fda_dt", "fda_dt",
             "rept_cod", "auth_num", "mfr_num", "mfr_sndr", "lit_ref", "age", "age_cod", "age_grp", "sex", "e_sub",
             "wt", "wt_cod", "rept_dt", "to_mfr", "occp_cod", "reporter_country", "occr_country"),
    "DRUG": ("primaryid", "caseid", "drug_seq", "role_cod", "drugname", "prod_ai", "val_vbm", "route", "dose_vbm",
             "cum_dose_chr", "cum_dose_unit", "dechal", "rechal", "lot_num", "exp_dt", "nda_num", "dose_amt",
             "dose_unit", "dose_form", "dose_freq"),
    "REAC": ("primaryid", "caseid", "pt", "drug_rec_act"),
    "OUTC": ("primaryid", "caseid", "outc_cod"),
    "THER": ("primaryid", "caseid", "dsg_drug_seq", "start_dt", "end_dt", "dur", "dur_cod"),
    "INDI": ("primaryid", "caseid", "indi_drug_seq", "indi_pt"),
    "RPSR": ("primaryid", "caseid", "rpsr_cod"),
}
# Code lists of the FAERS ASCII documentation (ASC_NTS); an empty field is always allowed where optional.
CODES = {
    "age_cod": {"DEC", "YR", "MON", "WK", "DY", "HR"},
    "age_grp": {"N", "I", "C", "T", "A", "E"},
    "sex": {"F", "M", "UNK", "NS"},
    "wt_cod": {"KG", "LBS"},
    "i_f_code": {"I", "F"},
    "rept_cod": {"EXP", "PER", "DIR", "5DAY", "30DAY"},
    "occp_cod": {"MD", "PH", "OT", "LW", "CN", "HP"},
    "role_cod": {"PS", "SS", "C", "I"},
    "dechal": {"Y", "N", "U", "D"},
    "rechal": {"Y", "N", "U", "D"},
    "outc_cod": {"DE", "LT", "HO", "DS", "CA", "RI", "OT"},
    "rpsr_cod": {"FGN", "SDY", "LIT", "CSM", "HP", "UF", "CR", "DT", "OTH"},
    "dur_cod": {"YR", "MON", "WK", "DAY", "HR", "MIN", "SEC"},
    "e_sub": {"Y", "N"},
    "to_mfr": {"Y", "N"},
}
UTF8_BOM = "\xef\xbb\xbf"  # a byte-order mark some editors put in front of a header, read as latin-1
REQUIRED = {"primaryid", "caseid", "caseversion", "drug_seq", "role_cod", "pt", "outc_cod", "rpsr_cod",
            "dsg_drug_seq", "indi_drug_seq", "indi_pt"}
# Columns a table's header must have: the required ones, and drugname, which every DRUG row is mapped by.
HEADER_COLUMNS = REQUIRED | {"drugname"}
INTEGERS = {"primaryid", "caseid", "caseversion", "drug_seq", "dsg_drug_seq", "indi_drug_seq"}
NUMBERS = {"age", "wt", "dur", "dose_amt"}
DATES = {"event_dt", "mfr_dt", "init_fda_dt", "fda_dt", "rept_dt", "start_dt", "end_dt", "exp_dt"}
DATE = re.compile(r"^(\d{4})(\d{2})?(\d{2})?$")
NUMBER = re.compile(r"^\d+(\.\d+)?$")
QUARTER = re.compile(r"(\d{2})Q([1-4])", re.IGNORECASE)
KEPT_BAD_ROWS = 1000  # malformed rows kept for the report; beyond them only counted (memory stays bounded)


class ExtractError(AdekgError):
    """An extract that cannot be imported as a whole (missing table, bad header, too many bad rows)."""


@dataclasses.dataclass(frozen=True)
class BadRow:
    """A malformed row: where it is and what is wrong with it."""

    file: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}"


@dataclasses.dataclass
class Extract:
    """The files of one quarterly extract and its quarter label (e.g. 2023Q1)."""

    folder: Path
    quarter: str
    tables: dict[str, Path]
    deleted: list[Path]


@dataclasses.dataclass
class Tally:
    """Data rows read and malformed rows skipped; the first KEPT_BAD_ROWS of those are kept with file and line."""

    rows: int = 0
    rejected: int = 0
    bad_rows: list[BadRow] = dataclasses.field(default_factory=list)

    def bad(self, file: str, line: int, problem: str) -> None:
        """Count one malformed row (and keep where it is, while there are few)."""
        self.rejected += 1
        if len(self.bad_rows) < KEPT_BAD_ROWS:
            self.bad_rows.append(BadRow(file, line, problem))


@dataclasses.dataclass
class Selection:
    """Which reports an import keeps: the latest version of each case that was not deleted."""

    kept: set[int]                   # primaryids
    superseded: int = 0              # older versions of a case dropped
    deleted: int = 0                 # reports of deleted cases dropped
    tally: Tally = dataclasses.field(default_factory=Tally)
    deleted_cases: frozenset[int] = frozenset()  # the case numbers the extract lists as deleted


def find_extract(folder: Path) -> Extract:
    """Locate the seven tables (any case, in the folder or an ASCII/ subfolder) and the deleted-case lists."""
    if not folder.is_dir():
        raise ExtractError("not a folder", file=str(folder))
    files = [path for path in folder.rglob("*") if path.is_file() and path.suffix.lower() == ".txt"]
    tables, quarters = {}, set()
    for table in TABLES:
        matches = sorted(path for path in files if path.name.upper().startswith(table))
        if not matches:
            raise ExtractError(f"no {table} table (a file named {table}yyQn.txt)", file=str(folder))
        if len(matches) > 1:
            raise ExtractError(f"more than one {table} table: {', '.join(p.name for p in matches)}; "
                               f"import one quarter per folder", file=str(folder))
        tables[table] = matches[0]
        quarter = QUARTER.search(matches[0].stem)
        if quarter:
            quarters.add(f"20{quarter.group(1)}Q{quarter.group(2)}")
    if len(quarters) != 1:
        raise ExtractError("the table names do not name one quarter (expected e.g. DEMO23Q1.txt)", file=str(folder))
    for table in ("DEMO", "DRUG", "REAC"):  # without these no report is worth importing (it would replace a quarter)
        if not has_rows(tables[table]):
            raise ExtractError(f"the {table} table has no rows after its header", file=str(tables[table]),
                               place="line 2")
    deleted = sorted(path for path in files if path.name.upper().startswith("DELETE"))
    return Extract(folder, quarters.pop(), tables, deleted)


def has_rows(path: Path) -> bool:
    """Whether a table file has a non-blank line after its header."""
    with path.open("r", encoding="latin-1", newline="") as stream:
        stream.readline()
        return any(line.strip() for line in stream)


def read_header(path: Path, table: str) -> list[str]:
    """The column names of a table file; raise ExtractError if they are not FAERS's."""
    with path.open("r", encoding="latin-1", newline="") as stream:
        header = stream.readline().rstrip("\r\n").removeprefix(UTF8_BOM)
    names = [name.strip().lower() for name in header.split("$")]
    if names and names[-1] == "":
        names = names[:-1]
    missing = [name for name in COLUMNS[table] if name not in names and name in HEADER_COLUMNS]
    if missing:
        raise ExtractError(f"header lacks {', '.join(missing)} (found {header[:120]!r})", file=str(path), place="line 1")
    return names


def check_value(name: str, value: str) -> str | None:
    """The problem with one field's value, or None if it is acceptable."""
    if value == "":
        return f"{name} is empty" if name in REQUIRED else None
    if name in INTEGERS and not value.isdigit():
        return f"{name} {value!r} is not a whole number"
    if name in NUMBERS and not NUMBER.match(value):
        return f"{name} {value!r} is not a number"
    if name in DATES and not valid_date(value):
        return f"{name} {value!r} is not a date (YYYY, YYYYMM or YYYYMMDD)"
    if name in CODES and value.upper() not in CODES[name]:
        return f"{name} {value!r} is not a FAERS code ({', '.join(sorted(CODES[name]))})"
    return None


@functools.lru_cache(maxsize=65536)
def valid_date(value: str) -> bool:
    """Whether a FAERS date (YYYY, YYYYMM or YYYYMMDD) names a real year, month or day."""
    match = DATE.match(value)
    if not match or not 1900 <= int(match.group(1)) <= 2100:
        return False
    try:
        datetime.date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return False
    return True


def checked_columns(names: list[str], table: str) -> list[tuple[int, Callable[[str], str | None]]]:
    """(position, check) of the columns of a table whose values check_value constrains; the others pass as they are.

    Codes, dates and numbers take few distinct values, so their checks are remembered; ids are checked directly.
    """
    checks = []
    for name in COLUMNS[table]:
        if name not in names:
            continue
        if name in INTEGERS:
            checks.append((names.index(name), functools.partial(check_integer, name)))
        elif name in REQUIRED | NUMBERS | DATES | CODES.keys():
            checks.append((names.index(name), functools.lru_cache(maxsize=4096)(functools.partial(check_value, name))))
    return checks


def check_integer(name: str, value: str) -> str | None:
    """check_value for an id column, with the common case first."""
    return None if value.isdigit() else check_value(name, value)


def rows(path: Path, table: str, tally: Tally) -> Iterator[dict[str, str]]:
    """Yield each well-formed data row of a table as a dict; count malformed ones in the tally and skip them."""
    names = read_header(path, table)
    checks = checked_columns(names, table)
    width = len(names)
    with path.open("r", encoding="latin-1", newline="") as stream:
        stream.readline()
        for number, line in enumerate(stream, start=2):
            fields = line.rstrip("\r\n").split("$")
            if len(fields) == width + 1 and fields[-1] == "":
                fields.pop()  # some quarters end every row with the delimiter
            elif len(fields) != width:
                if line.strip():
                    tally.rows += 1
                    tally.bad(path.name, number, f"{len(fields)} fields, the header has {width}")
                continue
            tally.rows += 1
            fields = list(map(str.strip, fields))
            for index, check in checks:
                problem = check(fields[index])
                if problem:
                    tally.bad(path.name, number, problem)
                    break
            else:
                yield dict(zip(names, fields))


def deleted_cases(extract: Extract, tally: Tally) -> set[int]:
    """The case numbers listed as deleted (one per line, no header)."""
    cases = set()
    for path in extract.deleted:
        with path.open("r", encoding="latin-1") as stream:
            for number, line in enumerate(stream, start=1):
                value = line.strip().rstrip("$")
                if not value or (number == 1 and not value.isdigit() and value.lower().startswith("caseid")):
                    continue
                if value.isdigit():
                    cases.add(int(value))
                else:
                    tally.bad(path.name, number, f"deleted case {value!r} is not a case number")
    return cases


def select_reports(extract: Extract) -> Selection:
    """Read DEMO once: keep the highest caseversion of every case, drop deleted cases, count what was dropped."""
    tally = Tally()
    deleted = deleted_cases(extract, tally)
    latest: dict[int, tuple[int, int]] = {}  # caseid -> (caseversion, primaryid)
    superseded = dropped = 0
    for row in rows(extract.tables["DEMO"], "DEMO", tally):
        case, version, primary = int(row["caseid"]), int(row["caseversion"]), int(row["primaryid"])
        if case in deleted:
            dropped += 1
            continue
        if case in latest:
            superseded += 1
            if latest[case] >= (version, primary):
                continue
        latest[case] = (version, primary)
    kept = {primary for _, primary in latest.values()}
    return Selection(kept, superseded, dropped, tally, frozenset(deleted))


def kept_rows(extract: Extract, table: str, selection: Selection, tally: Tally | None = None) -> Iterator[dict[str, str]]:
    """Stream the well-formed rows of a table that belong to a kept report (malformed ones counted in the tally)."""
    kept = selection.kept
    for row in rows(extract.tables[table], table, selection.tally if tally is None else tally):
        if int(row["primaryid"]) in kept:
            yield row


def refuse_if_corrupt(tally: Tally, max_bad_fraction: float) -> None:
    """Raise ExtractError naming the first bad row if more than the allowed fraction of rows is malformed."""
    if tally.rejected and tally.rejected / max(tally.rows, 1) > max_bad_fraction:
        first = tally.bad_rows[0]
        raise ExtractError(f"{tally.rejected} of {tally.rows} rows are malformed (more than "
                           f"{max_bad_fraction:.1%}); first: {first.problem}", file=first.file, place=f"line {first.line}")
