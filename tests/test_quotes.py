"""graph/quotes.py: quotes are found after normalising whitespace and line-break hyphens."""
from pathlib import Path

import pytest

from graph.errors import QuoteError
from graph.quotes import QuoteFinder, check_quotes, normalise
from graph.records import Record

TEXT = "Acute thrombocytopenia, Coomb\u2019s negative he-\nmolytic anemia with\n  profound schistocytes.\n*e patient was immune-\nmediated."


def test_normalise_collapses_whitespace_and_joins_line_break_hyphens():
    assert normalise("he-\nmolytic   anemia\nwith") == "hemolytic anemia with"
    assert normalise("dose-dependent") == "dose-dependent"


def test_quote_offsets_point_at_the_verbatim_span():
    finder = QuoteFinder(TEXT)
    match = finder.locate("hemolytic anemia with profound schistocytes")
    assert match is not None
    assert TEXT[match.start:match.end] == "he-\nmolytic anemia with\n  profound schistocytes"
    assert match.exact == TEXT[match.start:match.end]


def test_hyphenated_word_broken_across_lines_matches_with_or_without_its_hyphen():
    finder = QuoteFinder(TEXT)
    for quote in ("immune-mediated", "immunemediated"):
        match = finder.locate(quote)
        assert match is not None and match.exact == "immune-\nmediated"


def test_ocr_artefacts_are_matched_verbatim_only():
    finder = QuoteFinder(TEXT)
    assert finder.locate("*e patient") is not None
    assert finder.locate("The patient") is None


def test_a_changed_number_is_not_found():
    assert QuoteFinder("LDH level (1366 units/L)").locate("LDH level (1367 units/L)") is None


def test_check_quotes_names_record_field_and_quote(tmp_path):
    text = tmp_path / "doc.txt"
    text.write_text("The platelet count was 84000/dl.", encoding="utf-8")
    data = {"document": {"id": "x", "file": "doc.txt", "kind": "case_report", "quote": "The platelet count"},
            "observations": [{"id": "p", "test": "platelet-count", "value": 9000, "quote": "count was 9000/dl"}]}
    record = Record(tmp_path / "x.yaml", text, data, {("observations", 0, "quote"): 12})
    with pytest.raises(QuoteError) as failure:
        check_quotes(record)
    message = failure.value.one_line()
    assert "x.yaml" in message and "observations[0].quote (line 12)" in message
    assert "'count was 9000/dl'" in message


def test_every_seed_quote_is_found_with_offsets_inside_the_text():
    from graph.records import load_records
    for record in load_records(Path(__file__).resolve().parent.parent / "seeds"):
        text = record.text_path.read_text(encoding="utf-8")
        matches = check_quotes(record)
        assert matches, record.name
        for quote, match in matches.items():
            assert 0 <= match.start < match.end <= len(text)
            assert normalise(match.exact, True) == normalise(quote, True)
