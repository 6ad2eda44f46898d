import pytest

from pipeline.core.config import Config, ConfigError


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dedup_treshold": 0.7}, "did you mean 'dedup_threshold'"),
        ({"dedup_threshold": 1.5}, "dedup_threshold must be a number between 0 and 1"),
        ({"num_perm": "128"}, "num_perm must be a whole number"),
        ({"num_perm": 128, "lsh_bands": 24}, "lsh_bands=24 does not divide num_perm=128; use one of"),
        ({"encodings": ["gb18030", "klingon"]}, "'klingon' is not an encoding Python knows"),
        ({"encodings": "gb18030"}, "encodings must be a list of strings"),
        ({"keep_policy": ["longest", "newest"]}, "unknown criterion 'newest'; choose from"),
        ({"normalize_punctuation": "yes"}, "normalize_punctuation must be true or false"),
        ({"patterns_file": "/nonexistent/patterns.toml"}, "does not exist"),
        ({"batch_size": 0}, "batch_size must be between 1 and"),
    ],
)
def test_bad_values_fail_with_a_message_that_says_how_to_fix_them(options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config.from_mapping(options)


def test_toml_round_trip(tmp_path):
    path = tmp_path / "docclean.toml"
    path.write_text('dedup_threshold = 0.8\nkeep_policy = ["earliest"]\nencodings = ["gb18030"]\n')
    config = Config.from_toml(path)
    assert (config.dedup_threshold, config.keep_policy, config.encodings) == (0.8, ("earliest",), ("gb18030",))
    assert Config.from_mapping(config.to_mapping()) == config


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("dedup_threshold = \n")
    with pytest.raises(ConfigError, match="bad.toml.*not valid TOML"):
        Config.from_toml(path)


def test_lsh_shape_is_derived_once():
    config = Config(num_perm=128, dedup_threshold=0.7)
    assert config.lsh_bands * config.lsh_rows == 128
    assert Config(num_perm=128, lsh_bands=32).lsh_rows == 4


def test_a_patterns_file_extends_the_table(tmp_path):
    from pipeline.clean.artifacts import strip_page_jumps
    from pipeline.core.patterns import load_patterns

    extra = tmp_path / "more.toml"
    extra.write_text('[page_jumps]\nforward_verbs = ["续见"]\n', encoding="utf-8")
    config = Config(patterns_file=str(extra))
    text, markers = strip_page_jumps("正文未完，续见第5版", load_patterns(config.patterns_file))
    assert text == "正文未完，" and markers[0][2] == 5
    assert strip_page_jumps("正文未完，续见第5版", load_patterns())[0] == "正文未完，续见第5版"
