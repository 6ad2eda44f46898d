import pytest
from conftest import case_id, load_cases

from pipeline.clean.artifacts import restore_paragraphs, strip_page_jumps, strip_separators
from pipeline.clean.punctuation import normalize_cjk_punctuation


@pytest.mark.parametrize("case", load_cases("artifacts.toml", "page_jumps"), ids=case_id)
def test_page_jumps(case, patterns):
    text, markers = strip_page_jumps(case["input"], patterns)
    assert text == case.get("expected", case["input"])
    forward = sorted({page for _, verb, page in markers if verb in patterns.forward_verbs})
    backward = sorted({page for _, verb, page in markers if verb not in patterns.forward_verbs})
    assert forward == case.get("pages", [])
    assert backward == case.get("continued_from", [])


@pytest.mark.parametrize("case", load_cases("artifacts.toml", "separators"), ids=case_id)
def test_separators(case, patterns):
    text, dropped = strip_separators(case["input"], patterns)
    assert text == case.get("expected", case["input"])
    assert dropped == case.get("dropped", 0)


@pytest.mark.parametrize("case", load_cases("artifacts.toml", "paragraphs"), ids=case_id)
def test_paragraphs(case, patterns):
    assert restore_paragraphs(case["input"], patterns) == case.get("expected", case["input"])


@pytest.mark.parametrize("case", load_cases("artifacts.toml", "punctuation"), ids=case_id)
def test_punctuation(case):
    assert normalize_cjk_punctuation(case["input"]) == case.get("expected", case["input"])


@pytest.mark.parametrize("case", load_cases("artifacts.toml", "punctuation"), ids=case_id)
def test_punctuation_is_idempotent(case):
    once = normalize_cjk_punctuation(case["input"])
    assert normalize_cjk_punctuation(once) == once
