import re

import pytest
import yaml

from piimask.core.config import DEFAULTS, MAX_RECORDS, PARAM_KEYS, Params, load_params, project_root, read_yaml


def test_base_yaml_names_every_key_and_loads():
    base = read_yaml(project_root() / "params" / "base.yaml")
    assert set(base) == set(PARAM_KEYS)
    p = load_params("base")
    assert p.backend == "offline" and p.run_name == "default"


@pytest.mark.parametrize("profile", ["default", "smoke", "multilingual", "bedrock", "bedrock-batch", "full"])
def test_every_profile_is_valid(profile):
    p = load_params(profile)
    assert p.run_name == profile


def test_unknown_key_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"'n_record'.*did you mean 'n_records'"):
        load_params("default", {"n_record": 10})


@pytest.mark.parametrize(
    "key,value,match",
    [
        ("backend", "openai", "backend"),
        ("strategy", "best", "strategy"),
        ("n_records", 0, "n_records"),
        ("test_fraction", 0.9, "test_fraction"),
        ("n_records", "ten", "n_records"),
        ("temperature_min", 1.2, "temperature_min"),
        # the values a new user's probe got through before every key was checked
        ("score_threshold", 5, "score_threshold"),
        ("score_threshold", -1, "score_threshold"),
        ("window_stride", -1, "window_stride"),
        ("max_retries", -3, "max_retries"),
        ("top_p", 7, "top_p"),
        ("max_tokens", -1, "max_tokens"),
        ("batch_poll_s", 0, "batch_poll_s"),
        ("extra_classes", -2, "extra_classes"),
        ("per_device_train_batch_size", 0, "per_device_train_batch_size"),
        ("class_thresholds", {"EMAIL": "high"}, r"EMAIL.*number in \[0, 1\]"),
        ("mask_style", "bogus", "mask_style"),
        ("locales", ["xx_XX"], "locales.*en_US"),
        ("n_records", 10**9, "allow_large_run"),
        ("languages", [], "languages"),
        ("languages", ["en", "en"], "twice"),
        ("languages", [{"fr": 0}], "positive"),
        ("languages", [{"fr": "high"}], "positive"),
        ("languages", ["es"], "piimask writes en, fr, de, it, nl"),
        ("languages", "fr", "languages=.fr. must be a list"),
        ("region", 5, "region=5 must be null or a string"),
        ("region", "Frankfurt", "region='Frankfurt' must be null"),
        ("aws_profile", None, "aws_profile"),
    ],
)
def test_bad_values_fail_naming_the_key(key, value, match):
    with pytest.raises(ValueError, match=match):
        Params(**{key: value})


def test_region_may_be_null_and_then_comes_from_the_aws_session():
    assert (
        load_params("base").region is None and load_params("base", {"region": "eu-central-1"}).region == "eu-central-1"
    )


def test_missing_profile_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="smoke"):
        load_params("nope")


# one bad value for every key of params/base.yaml
BAD = {
    "run_name": "my run/1",
    "output_root": "",
    "seed": -1,
    "language": "English",
    "locales": ["en_us"],
    "languages": ["en", "French"],
    "record_share": 1.5,
    "bracket_share": -0.1,
    "backend": "openai",
    "strategy": "best",
    "n_records": 10**9,
    "fields": [],
    "styles": [""],
    "min_class_count": -1,
    "extra_classes": -2,
    "reference_dataset": "",
    "reference_split": " ",
    "model_id": "claude haiku",
    "region": "US East",
    "aws_profile": "my profile",
    "temperature_min": -0.1,
    "temperature_max": 2.0,
    "top_p": 7,
    "max_tokens": -1,
    "concurrency": 0,
    "max_retries": -3,
    "request_timeout_s": 0,
    "min_chars": -5,
    "max_chars": 0,
    "batch_bucket": "My_Bucket",
    "batch_prefix": "/",
    "batch_role_arn": "BedrockRole",
    "batch_poll_s": 0,
    "prices": {"offline": {"input": -1, "output": 0}},
    "tokenizer": "",
    "validation_fraction": 0.6,
    "test_fraction": 0,
    "base_model": "",
    "learning_rate": 0,
    "num_train_epochs": 0,
    "per_device_train_batch_size": 0,
    "per_device_eval_batch_size": -64,
    "warmup_ratio": 1.5,
    "weight_decay": -0.01,
    "gradient_accumulation_steps": 0,
    "max_length": 4,
    "max_train_records": -1,
    "pack_fraction": 1.5,
    "split_currency_signs": "yes",
    "case_markers": "no",
    "max_steps": 0,
    "early_stopping_patience": -1,
    "train_sampling": "by_length",
    "value_lexicon": "yes",
    "settle_lookalikes": "maybe",
    "settle_dates": "often",
    "external_datasets": [{"name": "x"}],
    "label_maps": {"300k": {"TEL": "PHONE"}},
    "max_eval_rows": -1,
    "mask_style": "bogus",
    "score_threshold": 5,
    "class_thresholds": {"EMAIL": "high"},
    "window_tokens": 4,
    "window_stride": -1,
    "allow_large_run": "yes",
    "mask_thresholds": [0, 2],
    "max_leak_rate": 1.5,
    "max_over_mask_rate": -0.1,
    "mask_leak_targets": {"ai4privacy-300k-nl-fr-de fr": 2},
    "train_on": "cloud",
    "train_processes": 0,
    "sagemaker_image_uri": "huggingface-pytorch-training:latest",
    "sagemaker_role_arn": "SageMakerRole",
    "sagemaker_bucket": "s3://my-bucket",
    "sagemaker_prefix": "/",
    "sagemaker_region": "virginia",
    "sagemaker_instance_type": "g5.xlarge",
    "sagemaker_instance_count": 0,
    "sagemaker_distribution": "deepspeed",
    "sagemaker_volume_gb": 0,
    "sagemaker_spot": "yes",
    "sagemaker_max_run_s": 0,
    "sagemaker_max_wait_s": 10**8,
    "sagemaker_poll_s": 0,
    "report_to": "wandb",
    "push_to_hub": "yes",
    "hub_model_id": "not a repo",
    "hub_dataset_id": "a/b/c",
    "hub_private": "no",
}


def test_the_bad_value_table_covers_every_key():
    assert set(BAD) == set(read_yaml(project_root() / "params" / "base.yaml")) == set(PARAM_KEYS)


@pytest.mark.parametrize("key", sorted(BAD))
def test_every_key_refuses_a_bad_value_naming_key_value_and_what_is_allowed(key):
    with pytest.raises(ValueError) as err:
        load_params("base", {key: BAD[key]})
    line = next(ln for ln in str(err.value).splitlines() if ln.startswith(f"params: {key}={BAD[key]!r} "))
    allowed = line.split(f"{BAD[key]!r} ", 1)[1]
    assert re.search(r"must|is not one of|is above|names|gives|has|maps", allowed), line


@pytest.mark.parametrize(
    "key,value,hint",
    [
        ("n_records", "1e9", "YAML reads 1e9 as text"),
        ("n_records", 5.0, "write 5"),
        ("seed", True, "a whole number"),
        ("locales", ["en_us"], "did you mean 'en_US'"),
        ("class_thresholds", {"EMAILS": 0.2}, "did you mean 'EMAIL'"),
        ("mask_style", "[LABELn]", "did you mean '[LABEL_n]'"),
        ("external_datasets", [{"name": "x", "path": "x.jsonl", "label_map": "999k"}], "not in label_maps"),
        ("languages", ["Dutch"], "did you mean 'nl'"),
        ("mask_leak_targets", {"ai4privacy-200k-en": 0.02}, "ai4privacy-200k-en is the one the threshold is chosen"),
        ("mask_leak_targets", {"ai4privacy-300k": 0.02}, "these are: ai4privacy-300k-en, ai4privacy-300k-nl-fr-de"),
        ("mask_leak_targets", {"ai4privacy-300k-nl-fr-de French": 0.02}, "a language code such as 'fr'"),
    ],
)
def test_messages_say_what_to_write(key, value, hint):
    with pytest.raises(ValueError, match=re.escape(hint)):
        load_params("base", {key: value})


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ValueError) as err:
        load_params("base", {"top_p": 7, "max_tokens": -1, "mask_style": "bogus"})
    assert [ln.split("=")[0] for ln in str(err.value).splitlines()] == [
        "params: top_p",
        "params: max_tokens",
        "params: mask_style",
    ]


def test_a_large_run_needs_the_explicit_override():
    with pytest.raises(ValueError, match="allow_large_run"):
        load_params("base", {"n_records": MAX_RECORDS + 1})
    assert load_params("base", {"n_records": MAX_RECORDS + 1, "allow_large_run": True}).n_records == MAX_RECORDS + 1


def test_push_to_hub_needs_a_model_repo():
    with pytest.raises(ValueError, match=r"hub_model_id=''.*push_to_hub is true"):
        load_params("base", {"push_to_hub": True})
    assert load_params("base", {"push_to_hub": True, "hub_model_id": "me/tagger"}).push_to_hub


def test_a_tracker_that_is_not_installed_is_refused_with_the_install_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    with pytest.raises(ValueError, match=r"report_to='mlflow' needs the mlflow package.*pip install mlflow"):
        load_params("base", {"report_to": "mlflow"})
    assert load_params("base", {"report_to": "tensorboard"}).report_to == "tensorboard"


def test_batch_backend_needs_its_bucket_and_role():
    with pytest.raises(ValueError, match="batch_bucket=.*bedrock-batch"):
        load_params("base", {"backend": "bedrock-batch"})


# -- notebooks: profile + explicit overrides, nothing dropped silently ---------------------------


def test_a_notebook_override_equal_to_the_base_default_still_wins():
    from piimask.core.config import from_notebook

    smoke = load_params("smoke")
    assert smoke.n_records != 7500 and DEFAULTS["n_records"] == 7500
    assert from_notebook({"profile": "smoke", "overrides": {"n_records": 7500}}).n_records == 7500
    assert from_notebook({"profile": "smoke", "overrides": None}).n_records == smoke.n_records


def test_a_params_key_set_as_a_notebook_variable_is_an_error_not_a_no_op():
    from piimask.core.config import from_notebook

    with pytest.raises(ValueError, match="n_records.*overrides"):
        from_notebook({"profile": "smoke", "overrides": {}, "n_records": 7500})
    with pytest.raises(ValueError, match="overrides must be a dict"):
        from_notebook({"profile": "smoke", "overrides": ["n_records"]})


def test_every_default_lives_in_base_yaml_once():
    from piimask.core import config

    base = yaml.safe_load((config.project_root() / "params" / "base.yaml").read_text())
    assert set(base) == set(config.PARAM_KEYS)
    assert config.Params().to_dict() == base  # the dataclass's defaults are base.yaml's values


SAGEMAKER = {
    "train_on": "sagemaker",
    "sagemaker_bucket": "bkt",
    "sagemaker_image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311",
    "sagemaker_role_arn": "arn:aws:iam::123456789012:role/SageMakerExecution",
}


def test_training_on_sagemaker_needs_image_role_and_bucket():
    with pytest.raises(ValueError) as err:
        load_params("base", {"train_on": "sagemaker"})
    assert [ln.split("=")[0] for ln in str(err.value).splitlines()] == [
        "params: sagemaker_image_uri",
        "params: sagemaker_role_arn",
        "params: sagemaker_bucket",
    ]
    assert "params/overlays/sagemaker.yaml" in str(err.value)
    assert load_params("base", SAGEMAKER).train_on == "sagemaker"


def test_sagemaker_settings_that_contradict_each_other():
    with pytest.raises(ValueError, match=r"sagemaker_max_wait_s=3600 must be at least sagemaker_max_run_s=7200"):
        load_params(
            "base", {**SAGEMAKER, "sagemaker_spot": True, "sagemaker_max_run_s": 7200, "sagemaker_max_wait_s": 3600}
        )
    # without spot instances the wait is not used
    assert (
        load_params("base", {**SAGEMAKER, "sagemaker_max_run_s": 7200, "sagemaker_max_wait_s": 3600}).sagemaker_spot
        is False
    )
    with pytest.raises(ValueError, match=r"train_processes=2 applies to local training only.*sagemaker_distribution"):
        load_params("base", {**SAGEMAKER, "train_processes": 2})
    with pytest.raises(
        ValueError,
        match=r"sagemaker_distribution='torchrunn' is not one of none, torchrun \(did you mean 'torchrun'\?\)",
    ):
        load_params("base", {"sagemaker_distribution": "torchrunn"})


def test_languages_weigh_relative_shares_and_the_multilingual_profile_mixes_five():
    from piimask.core.languages import apportion, english_only, language_weights

    assert english_only(load_params("default").languages)
    weights = language_weights(load_params("multilingual").languages)
    assert list(weights) == ["en", "fr", "de", "it", "nl"] and abs(sum(weights.values()) - 1) < 1e-9
    assert language_weights(["en", {"fr": 3}]) == {"en": 0.25, "fr": 0.75}
    assert apportion(10, language_weights(["en", "fr", "de"])) == {"en": 4, "fr": 3, "de": 3}
    assert sum(apportion(7501, weights).values()) == 7501
