"""Source: an FDA FAERS quarterly ASCII extract, read as streams of checked rows.

The extract is seven `$`-delimited tables with a header row (DEMO, DRUG, REAC, OUTC, THER, INDI, RPSR)
and, where present, the list of deleted cases. Reading never holds a whole table in memory: DEMO is read
once to choose the latest version of every case (FAERS practice), the other tables are streamed.
"""
from __future__ import annotations

import dataclasses
import datetime
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
REQUIRED = {"primaryid", "caseid", "caseversion", "drug_seq", "role_cod", "pt", "outc_cod", "rpsr_cod",
            "dsg_drug_seq", "indi_drug_seq", "indi_pt"}
INTEGERS = {"primaryid", "caseid", "caseversion", "drug_seq", "dsg_drug_seq", "indi_drug_seq"}
NUMBERS = {"age", "wt", "dur", "dose_amt"}
DATES = {"event_dt", "mfr_dt", "init_fda_dt", "fda_dt", "rept_dt", "start_dt", "end_dt", "exp_dt"}
DATE = re.compile(r"^(\d{4})(\d{2})?(\d{2})?$")
NUMBER = re.compile(r"^\d+(\.\d+)?$")
QUARTER = re.compile(r"(\d{2})Q([1-4])", re.IGNORECASE)


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
class Selection:
    """Which reports an import keeps: the latest version of each case that was not deleted."""

    kept: dict[int, int]             # primaryid -> caseid
    superseded: int = 0              # older versions of a case dropped
    deleted: int = 0                 # reports of deleted cases dropped
    bad_rows: list[BadRow] = dataclasses.field(default_factory=list)


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
    deleted = sorted(path for path in files if path.name.upper().startswith("DELETE"))
    return Extract(folder, quarters.pop(), tables, deleted)


def read_header(path: Path, table: str) -> list[str]:
    """The column names of a table file; raise ExtractError if they are not FAERS's."""
    with path.open("r", encoding="latin-1", newline="") as stream:
        header = stream.readline().rstrip("\r\n")
    names = [name.strip().lower() for name in header.split("$")]
    if names and names[-1] == "":
        names = names[:-1]
    missing = [name for name in COLUMNS[table] if name not in names and name in REQUIRED | {"primaryid", "caseid"}]
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


def rows(path: Path, table: str, bad_rows: list[BadRow]) -> Iterator[dict[str, str]]:
    """Yield each well-formed data row of a table as a dict; record malformed ones in bad_rows and skip them."""
    names = read_header(path, table)
    wanted = [name for name in COLUMNS[table] if name in names]
    with path.open("r", encoding="latin-1", newline="") as stream:
        stream.readline()
        for number, line in enumerate(stream, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("$")
            if len(fields) == len(names) + 1 and fields[-1] == "":
                fields = fields[:-1]  # some quarters end every row with the delimiter
            if len(fields) != len(names):
                bad_rows.append(BadRow(path.name, number, f"{len(fields)} fields, the header has {len(names)}"))
                continue
            row = {name: value.strip() for name, value in zip(names, fields)}
            problem = next((p for p in (check_value(name, row[name]) for name in wanted) if p), None)
            if problem:
                bad_rows.append(BadRow(path.name, number, problem))
                continue
            yield row


def deleted_cases(extract: Extract, bad_rows: list[BadRow]) -> set[int]:
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
                    bad_rows.append(BadRow(path.name, number, f"deleted case {value!r} is not a case number"))
    return cases


def select_reports(extract: Extract) -> Selection:
    """Read DEMO once: keep the highest caseversion of every case, drop deleted cases, count what was dropped."""
    bad_rows: list[BadRow] = []
    deleted = deleted_cases(extract, bad_rows)
    latest: dict[int, tuple[int, int]] = {}  # caseid -> (caseversion, primaryid)
    superseded = dropped = 0
    for row in rows(extract.tables["DEMO"], "DEMO", bad_rows):
        case, version, primary = int(row["caseid"]), int(row["caseversion"]), int(row["primaryid"])
        if case in deleted:
            dropped += 1
            continue
        if case in latest:
            superseded += 1
            if latest[case] >= (version, primary):
                continue
        latest[case] = (version, primary)
    kept = {primary: case for case, (_, primary) in latest.items()}
    return Selection(kept, superseded, dropped, bad_rows)


def kept_rows(extract: Extract, table: str, selection: Selection) -> Iterator[dict[str, str]]:
    """Stream the well-formed rows of a table that belong to a kept report."""
    for row in rows(extract.tables[table], table, selection.bad_rows):
        if int(row["primaryid"]) in selection.kept:
            yield row


def refuse_if_corrupt(selection: Selection, total_rows: Callable[[], int], max_bad_fraction: float) -> None:
    """Raise ExtractError naming the first bad row if more than the allowed fraction of rows is malformed."""
    if not selection.bad_rows:
        return
    total = max(total_rows(), 1)
    if len(selection.bad_rows) / total > max_bad_fraction:
        first = selection.bad_rows[0]
        raise ExtractError(f"{len(selection.bad_rows)} of {total} rows are malformed (more than "
                           f"{max_bad_fraction:.1%}); first: {first.problem}", file=first.file, place=f"line {first.line}")
