import pytest

from piimask.config import PARAM_KEYS, Params, load_params, read_yaml, project_root


def test_base_yaml_names_every_key_and_loads():
    base = read_yaml(project_root() / "params" / "base.yaml")
    assert set(base) == set(PARAM_KEYS)
    p = load_params("base")
    assert p.backend == "offline" and p.run_name == "default"


@pytest.mark.parametrize("profile", ["default", "smoke", "bedrock", "bedrock-batch", "full"])
def test_every_profile_is_valid(profile):
    p = load_params(profile)
    assert p.run_name == profile


def test_unknown_key_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"'n_record'.*did you mean 'n_records'"):
        load_params("default", {"n_record": 10})


@pytest.mark.parametrize("key,value,match", [
    ("backend", "openai", "backend"), ("strategy", "best", "strategy"), ("n_records", 0, "n_records"),
    ("test_fraction", 0.9, "test_fraction"), ("n_records", "ten", "n_records"),
    ("temperature_min", 1.2, "temperature_min"),
])
def test_bad_values_fail_naming_the_key(key, value, match):
    with pytest.raises(ValueError, match=match):
        Params(**{key: value})


def test_missing_profile_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="smoke"):
        load_params("nope")
