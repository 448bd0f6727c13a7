"""Stage 1: load the curated seed records and check them against the record schema."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from .errors import AdekgError, RecordError, raise_all

SCHEMA_FILE = "record.schema.yaml"
MAX_RECORD_BYTES = 4 * 2**20  # default of --max-record-bytes: the seed records are ~100 KB each


# libyaml's loader when PyYAML has it (parses the ~100 KB records ~10x faster than the pure-Python one).
FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def refuse_aliases(source: str) -> None:
    """Raise on the first anchor (&name) or alias (*name), found while parsing, before any node is composed."""
    for event in yaml.parse(source, Loader=FastLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.YAMLError(f"anchors and aliases (&name, *name) are refused; one at line "
                                 f"{event.start_mark.line + 1}, column {event.start_mark.column + 1}")


def parse_yaml(source: str):
    """Parse one YAML document without aliases; return its data and its composed node tree."""
    refuse_aliases(source)
    loader = FastLoader(source)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


@dataclasses.dataclass(frozen=True)
class Record:
    """One curated record: its data, its files and where each value sits in the YAML."""

    path: Path
    text_path: Path
    data: dict[str, Any]
    lines: dict[tuple, int]
    # Schema violations found on loading: the quote, unit and identifier checks still run, mapping does not.
    problems: tuple[RecordError, ...] = ()

    @property
    def document_id(self) -> str:
        """The short id of the document, used in IRIs (e.g. '000')."""
        return self.data["document"]["id"]

    @property
    def name(self) -> str:
        """The record's file name, used in messages."""
        return self.path.name

    def place(self, path: tuple) -> str:
        """Describe a path inside the record as 'observations[3].unit (line 120)'."""
        return describe_place(tuple(path), self.lines)


def describe_place(path: tuple, lines: dict[tuple, int]) -> str:
    """Render a path and, when known, its YAML line: 'observations[3].unit (line 120)'."""
    line = lines.get(path)
    return format_path(path) + (f" (line {line})" if line else "")


def items(data: dict, section: str) -> list[dict]:
    """The items of a list section of a record; anything else counts as none (the schema reports it)."""
    value = data.get(section)
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def format_path(path: tuple) -> str:
    """Render a path like ('observations', 3, 'unit') as observations[3].unit."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(top level)"


def record_files(seeds_dir: Path) -> list[Path]:
    """List the record files of a seeds directory, in name order."""
    if not seeds_dir.is_dir():
        raise RecordError("seeds directory not found", file=str(seeds_dir))
    files = sorted(p for p in seeds_dir.glob("*.yaml") if p.name != SCHEMA_FILE)
    if not files:
        raise RecordError("no *.yaml records in the seeds directory", file=str(seeds_dir))
    return files


def load_schema(seeds_dir: Path) -> dict:
    """Read the JSON Schema that every record follows (seeds/record.schema.yaml)."""
    path = seeds_dir / SCHEMA_FILE
    if not path.is_file():
        path = Path(__file__).resolve().parent.parent / "seeds" / SCHEMA_FILE
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))[0]
    except (yaml.YAMLError, RecursionError) as error:
        raise RecordError(f"malformed YAML: {yaml_problem(error)}", file=str(path)) from None


def load_records(seeds_dir: Path, max_bytes: int = MAX_RECORD_BYTES) -> list[Record]:
    """Load and schema-check every record of a seeds directory; raise every problem found."""
    records, errors = read_records(seeds_dir, max_bytes)
    raise_all(errors)
    return records


def read_records(seeds_dir: Path, max_bytes: int = MAX_RECORD_BYTES) -> tuple[list[Record], list[AdekgError]]:
    """Load every record that can be loaded; return them and one error per problem of the others."""
    import jsonschema  # here: `adekg` commands that only read MAX_RECORD_BYTES do not load it (~0.25 s)

    validator = jsonschema.Draft202012Validator(load_schema(seeds_dir))
    records, errors = [], []
    for path in record_files(seeds_dir):
        try:
            record = load_record(path, validator, max_bytes)
        except AdekgError as error:
            errors += error.each()
            continue
        records.append(record)
        errors += record.problems
    seen: dict[Any, str] = {}
    for record in records:
        document_id = record.data["document"].get("id")
        if document_id in seen:
            errors.append(RecordError(f"document id {document_id!r} is already used by {seen[document_id]}",
                                      file=str(record.path), place="document.id"))
        seen.setdefault(document_id, record.name)
    return [record for record in records if seen[record.data["document"].get("id")] == record.name], errors


def load_record(path: Path, validator: jsonschema.Draft202012Validator, max_bytes: int = MAX_RECORD_BYTES) -> Record:
    """Parse one YAML record, check it against the schema (noting every violation) and find its source text."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RecordError(f"record is {size:,} bytes, over the limit of {max_bytes:,} "
                              "(--max-record-bytes, env ADEKG_MAX_RECORD_BYTES)", file=str(path))
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError("record file not found", file=str(path)) from None
    except UnicodeDecodeError as error:
        raise RecordError(f"not UTF-8 text ({error.reason})", file=str(path)) from None
    try:
        data, node = parse_yaml(source)
        lines = line_map(node)
    except RecursionError:
        raise RecordError("malformed YAML: nested too deeply", file=str(path)) from None
    except yaml.YAMLError as error:
        raise RecordError(f"malformed YAML: {yaml_problem(error)}", file=str(path)) from None
    if not isinstance(data, dict):
        raise RecordError("a record must be a YAML mapping", file=str(path))
    problems = schema_problems(path, data, lines, validator)
    document = data.get("document")
    text_name = document.get("file") if isinstance(document, dict) else None
    if not isinstance(text_name, str):
        raise_all(problems or [RecordError("document.file is required", file=str(path))])
    text_path = path.parent / text_name
    if not text_path.is_file():
        raise_all(problems + [RecordError(f"source text {text_name!r} not found next to the record",
                                          file=str(path), place="document.file")])
    return Record(path, text_path, data, lines, tuple(problems))


def yaml_problem(error: yaml.YAMLError) -> str:
    """Summarise a PyYAML error with its line and column."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def schema_problems(path: Path, data: dict, lines: dict, validator) -> list[RecordError]:
    """One RecordError per schema violation of a record, naming its place, in line order."""
    import jsonschema.exceptions

    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: lines.get(tuple(e.absolute_path), 0)):
        # best_match descends into anyOf/oneOf to the branch that explains the failure best.
        error = jsonschema.exceptions.best_match([error])
        place = describe_place(tuple(error.absolute_path), lines)
        problems.append(RecordError(schema_message(error), file=str(path), place=place))
    return problems


def schema_message(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into a short sentence a curator understands."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown field {', '.join(map(repr, extra))}"
    if error.validator == "type":
        return f"value {error.instance!r} has the wrong type (expected {error.validator_value})"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {error.validator_value}"
    if error.validator in ("anyOf", "oneOf"):
        alternatives = [branch.get("required") for branch in error.validator_value]
        if all(alternatives):
            return "needs " + " or ".join(" and ".join(map(repr, names)) for names in alternatives)
        return "does not take any of the allowed forms (see seeds/record.schema.yaml)"
    return error.message


def line_map(node, path: tuple = ()) -> dict[tuple, int]:
    """Map each path in a composed YAML tree to its 1-based line number."""
    lines = {path: node.start_mark.line + 1} if node is not None else {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(line_map(value, path + (key.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(line_map(item, path + (index,)))
    return lines
