"""Training on SageMaker, offline: the package, the S3 layout (moto), the CreateTrainingJob request
and the polling (botocore's Stubber), failures reported with the job's FailureReason and nothing
downloaded, and the job's entry point training from the packaged code and channel."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from piimask import cli
from piimask.core.config import load_params
from piimask.pipeline.sagemaker_job import (
    LAUNCHER,
    SageMakerJob,
    TrainingJobFailed,
    channel_files,
    extract_model,
    job_name,
    package_source,
    training_job_request,
)

PYPROJECT = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.9.0-transformers5.3.0-gpu-py312-cu130-ubuntu22.04"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
JOB = "piimask-smoke-20261130-120000"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{JOB}"


def sm_params(tmp_path, **overrides):
    return load_params(
        "smoke",
        {
            "output_root": str(tmp_path / "runs"),
            "train_on": "sagemaker",
            "sagemaker_image_uri": IMAGE,
            "sagemaker_role_arn": ROLE,
            "sagemaker_bucket": "bkt",
            "sagemaker_prefix": "pre",
            "sagemaker_poll_s": 30.0,
            "region": "us-east-1",
            **overrides,
        },
    )


def fake_splits(p, base_model=True):
    """Split files and a small stand-in base model: what the packaging reads (not trainable)."""
    splits = p.data_dir / "splits"
    splits.mkdir(parents=True)
    for name in ("train", "validation", "test"):
        (splits / f"{name}.parquet").write_bytes(b"PAR1" + name.encode())
    (splits / "label2id.json").write_text("{}")
    (splits / "hf").mkdir()
    (splits / "hf" / "dataset_dict.json").write_text("{}")
    if base_model:
        base = p.run_dir.parent / "base"
        (base / "sub").mkdir(parents=True)
        (base / "config.json").write_text("{}")
        (base / "sub" / "tokenizer.json").write_text("{}")
    return p


def sm_client():
    return boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def model_tar(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


GOOD_MODEL = {
    "config.json": b'{"model_type": "distilbert"}',
    "metrics.json": b'{"steps": 6, "processes": 4}',
    "history.json": b'[{"loss": 1.0, "step": 6}]',
    "model.safetensors": b"weights",
}


def describe(status, secondary, **extra):
    return {
        "TrainingJobName": JOB,
        "TrainingJobArn": ARN,
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "ModelArtifacts": {"S3ModelArtifacts": extra.pop("artifacts", "")},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": NOW,
        **extra,
    }


# -- package --------------------------------------------------------------------------------


def test_package_holds_the_launcher_requirements_and_the_package_only(tmp_path):
    a, b = package_source(tmp_path / "a.tar.gz"), package_source(tmp_path / "b.tar.gz")
    assert a.read_bytes() == b.read_bytes()  # reproducible: same code, same bytes
    with tarfile.open(a) as tar:
        names = tar.getnames()
        launcher = tar.extractfile(LAUNCHER).read().decode()
        reqs = tar.extractfile("requirements.txt").read().decode().split()
    assert names[:2] == [LAUNCHER, "requirements.txt"]
    assert {
        "src/piimask/pipeline/train_entry.py",
        "src/piimask/pipeline/train.py",
        "src/piimask/core/config.py",
        "src/piimask/core/base.yaml",
        "src/piimask/pipeline/metrics/seqeval_entities.py",
        "src/piimask/data/prompts.yaml",
    } <= set(names)
    assert all(n.startswith("src/piimask/") for n in names[2:])
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "setup.py" not in names  # the toolkit would install a package and refuse torchrun
    assert '"--sagemaker"' in launcher and "piimask.pipeline.train_entry" in launcher
    pinned = [
        re.search(rf'"({name}[<>=!~][^"]*)"', PYPROJECT).group(1) for name in ("transformers", "seqeval", "faker")
    ]
    assert set(pinned) <= set(reqs) and "transformers>=4.46" in pinned  # the package's own bounds
    assert not [r for r in reqs if re.match(r"(torch|papermill|boto3|gradio|pytest)\b", r)]  # the image's torch stays


def test_channel_holds_params_train_and_validation_splits_and_a_local_base_model(tmp_path):
    p = fake_splits(sm_params(tmp_path, base_model=str(tmp_path / "runs" / "base")))
    files = channel_files(p, tmp_path / "stage")
    assert sorted(files) == [
        "base-model/config.json",
        "base-model/sub/tokenizer.json",
        "params.yaml",
        "splits/label2id.json",
        "splits/train.parquet",
        "splits/validation.parquet",
    ]
    assert load_params("base", yaml.safe_load(files["params.yaml"].read_text())) == p  # the run's params, resolved
    hub = sm_params(tmp_path, base_model="distilbert-base-multilingual-cased")
    assert not [k for k in channel_files(hub, tmp_path / "stage2") if k.startswith("base-model/")]  # fetched in the job
    with pytest.raises(FileNotFoundError, match="run the label stage"):
        channel_files(sm_params(tmp_path, output_root=str(tmp_path / "empty")), tmp_path / "stage3")


# -- request --------------------------------------------------------------------------------


def test_job_names_fit_sagemakers_alphabet(tmp_path):
    pattern = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    assert job_name(sm_params(tmp_path), NOW) == JOB
    long = job_name(sm_params(tmp_path, run_name="my_run.v2-" + "x" * 80), NOW)
    assert re.fullmatch(pattern, long) and long.startswith("piimask-my-run-v2-") and long.endswith("-20261130-120000")


def test_spot_and_torchrun_add_checkpoints_max_wait_and_the_torchrun_launcher(tmp_path):
    on_demand = training_job_request(sm_params(tmp_path), JOB, "s3://bkt/pre/smoke/" + JOB)
    assert "CheckpointConfig" not in on_demand and "MaxWaitTimeInSeconds" not in on_demand["StoppingCondition"]
    assert "sagemaker_torch_distributed_enabled" not in on_demand["HyperParameters"]
    spot = training_job_request(
        sm_params(
            tmp_path,
            sagemaker_spot=True,
            sagemaker_distribution="torchrun",
            sagemaker_instance_type="ml.g5.12xlarge",
            sagemaker_instance_count=2,
        ),
        JOB,
        "s3://bkt/pre/smoke/" + JOB,
    )
    assert spot["EnableManagedSpotTraining"] is True
    assert spot["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400, "MaxWaitTimeInSeconds": 172800}
    assert spot["CheckpointConfig"] == {
        "S3Uri": f"s3://bkt/pre/smoke/{JOB}/checkpoints/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert spot["HyperParameters"]["sagemaker_torch_distributed_enabled"] == "true"
    assert spot["HyperParameters"]["sagemaker_instance_type"] == '"ml.g5.12xlarge"'
    assert spot["ResourceConfig"]["InstanceCount"] == 2


def test_submit_uploads_the_layout_and_sends_the_full_request(tmp_path):
    from moto import mock_aws

    p = fake_splits(sm_params(tmp_path, base_model=str(tmp_path / "runs" / "base")))
    base = f"s3://bkt/pre/smoke/{JOB}"
    expected = {
        "TrainingJobName": JOB,
        "RoleArn": ROLE,
        "HyperParameters": {
            "sagemaker_program": '"piimask_train_job.py"',
            "sagemaker_submit_directory": f'"{base}/input/code/sourcedir.tar.gz"',
            "sagemaker_region": '"us-east-1"',
            "sagemaker_container_log_level": "20",
            "sagemaker_job_name": f'"{JOB}"',
        },
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "InputMode": "File",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"{base}/input/data/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"{base}/output/"},
        "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "EnableManagedSpotTraining": False,
        "Environment": {"TOKENIZERS_PARALLELISM": "false", "PIIMASK_RUN": "smoke"},
        "Tags": [{"Key": "piimask:run", "Value": "smoke"}],
    }
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt")
        sm = sm_client()
        with Stubber(sm) as stub:  # the Stubber also checks the request against the service model
            stub.add_response("create_training_job", {"TrainingJobArn": ARN}, expected)
            job = SageMakerJob(p, s3=s3, sagemaker=sm, log=lambda m: None, now=lambda: NOW)
            state = job.submit()
            stub.assert_no_pending_responses()
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"])
        code = s3.get_object(Bucket="bkt", Key=f"pre/smoke/{JOB}/input/code/sourcedir.tar.gz")["Body"].read()
    assert keys == [f"pre/smoke/{JOB}/input/code/sourcedir.tar.gz"] + [
        f"pre/smoke/{JOB}/input/data/{k}"
        for k in (
            "base-model/config.json",
            "base-model/sub/tokenizer.json",
            "params.yaml",
            "splits/label2id.json",
            "splits/train.parquet",
            "splits/validation.parquet",
        )
    ]
    assert LAUNCHER in tarfile.open(fileobj=io.BytesIO(code)).getnames()
    assert state["job_name"] == JOB and state["job_arn"] == ARN and state["input_uri"] == f"{base}/input/"
    assert json.loads((p.run_dir / "sagemaker" / "job.json").read_text())["job_name"] == JOB
    assert job.attach(JOB) == state  # --attach picks the saved job up


# -- poll and download ----------------------------------------------------------------------


def run_job(tmp_path, responses, objects=None, s3_stubbed=False):
    """Wait for a stubbed job; return (result or exception, sleeps, the model folder, the s3 client)."""
    from moto import mock_aws

    p = sm_params(tmp_path)
    p.model_dir.mkdir(parents=True)
    (p.model_dir / "masking.json").write_text('{"old": true}')  # the model this job would replace
    sleeps, logs = [], []
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt")
        for key, body in (objects or {}).items():
            s3.put_object(Bucket="bkt", Key=key, Body=body)
        s3_stub = Stubber(s3)
        if s3_stubbed:  # no response queued: any S3 call fails the test
            s3_stub.activate()
        sm = sm_client()
        with Stubber(sm) as stub:
            for r in responses:
                stub.add_response("describe_training_job", r, {"TrainingJobName": JOB})
            job = SageMakerJob(p, s3=s3, sagemaker=sm, sleep=sleeps.append, log=logs.append)
            try:
                out = job.finish({"job_name": JOB, "job_arn": ARN, "status": "InProgress"})
            except TrainingJobFailed as exc:
                out = exc
            stub.assert_no_pending_responses()
    return out, sleeps, p, logs


def test_polls_with_backoff_until_completed_then_unpacks_the_model(tmp_path):
    art = f"s3://bkt/pre/smoke/{JOB}/output/{JOB}/output/model.tar.gz"
    responses = [
        describe("InProgress", "Starting"),
        describe("InProgress", "Training"),
        describe("InProgress", "Training"),
        describe("InProgress", "Training"),
        describe(
            "Completed",
            "Completed",
            artifacts=art,
            BillableTimeInSeconds=612,
            ResourceConfig={"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        ),
    ]
    res, sleeps, p, logs = run_job(tmp_path, responses, {art.removeprefix("s3://bkt/"): model_tar(GOOD_MODEL)})
    assert sleeps == [30.0, 30.0, 45.0, 67.5]  # back to the base wait when the job moves on, then longer
    assert sorted(f.name for f in p.model_dir.iterdir()) == sorted(GOOD_MODEL)  # the old masking.json is gone
    assert res.model_dir == p.model_dir and res.metrics == {"steps": 6, "processes": 4} and res.history[0]["step"] == 6
    state = json.loads((p.run_dir / "sagemaker" / "job.json").read_text())
    assert state["status"] == "Completed" and state["billable_seconds"] == 612 and state["model_artifacts"] == art
    assert (
        not list((p.run_dir / "sagemaker").rglob("model.tar.gz"))
        and not p.model_dir.with_name("model.incoming").exists()
    )
    assert any("billable 612 s" in m for m in logs)


@pytest.mark.parametrize(
    "final,match",
    [
        (
            describe("Failed", "Failed", FailureReason="AlgorithmError: CUDA out of memory"),
            r"Failed \(Failed\): AlgorithmError: CUDA out of memory\. Nothing was downloaded.*/aws/sagemaker/TrainingJobs",
        ),
        (
            describe("Stopped", "MaxRuntimeExceeded"),
            r"Stopped \(MaxRuntimeExceeded\): no FailureReason given; raise sagemaker_max_run_s",
        ),
        (describe("Stopped", "Stopped"), r"Stopped \(Stopped\): no FailureReason given\. Nothing was downloaded"),
    ],
)
def test_failed_or_stopped_jobs_raise_with_the_reason_and_download_nothing(tmp_path, final, match):
    art = f"s3://bkt/pre/smoke/{JOB}/output/{JOB}/output/model.tar.gz"
    final["ModelArtifacts"] = {"S3ModelArtifacts": art}  # a failed job may still have left an archive
    err, sleeps, p, _ = run_job(tmp_path, [describe("InProgress", "Training"), final], s3_stubbed=True)
    assert isinstance(err, TrainingJobFailed) and re.search(match, str(err)), err
    assert sleeps == [30.0]
    assert sorted(f.name for f in p.model_dir.iterdir()) == ["masking.json"]  # the old model is untouched
    assert json.loads((p.run_dir / "sagemaker" / "job.json").read_text())["status"] == final["TrainingJobStatus"]


def test_unsafe_or_incomplete_archives_are_refused_and_the_model_kept(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("old")
    for files, match in (
        ({"../evil.txt": b"x", **GOOD_MODEL}, "unsafe entry '../evil.txt'"),
        ({"config.json": b"{}"}, "no metrics.json"),
    ):
        archive = tmp_path / "m.tar.gz"
        archive.write_bytes(model_tar(files))
        with pytest.raises(TrainingJobFailed, match=re.escape(match)):
            extract_model(archive, model)
        assert (model / "config.json").read_text() == "old" and not (tmp_path / "evil.txt").exists()
        assert not (tmp_path / "model.incoming").exists()


def test_cli_names_the_missing_settings(tmp_path, capsys):
    overlay = tmp_path / "sm.yaml"
    overlay.write_text("train_on: sagemaker\nsagemaker_image_uri: ''\n")
    assert cli.main(["sagemaker-train", "--profile", "smoke", "--overlay", str(overlay)]) == 1
    err = capsys.readouterr().err
    for key in ("sagemaker_image_uri", "sagemaker_role_arn", "sagemaker_bucket"):
        assert f"params: {key}='' must be set when train_on is 'sagemaker'" in err
    assert cli.main(["sagemaker-train", "--profile", "smoke", "--overlay", str(tmp_path / "none.yaml")]) == 1
    assert "params/overlays/sagemaker.yaml" in capsys.readouterr().err


def test_cli_submits_then_attaches_and_unpacks_the_model(tmp_path, capsys, monkeypatch):
    """The command line against moto's S3 and SageMaker, with real boto3 clients."""
    from moto import mock_aws

    for k, v in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y"), ("AWS_SESSION_TOKEN", "z")):
        monkeypatch.setenv(k, v)
    p = fake_splits(sm_params(tmp_path, base_model=str(tmp_path / "runs" / "base")))
    overlay = tmp_path / "sm.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {
                k: getattr(p, k)
                for k in (
                    "output_root",
                    "base_model",
                    "train_on",
                    "sagemaker_image_uri",
                    "sagemaker_role_arn",
                    "sagemaker_bucket",
                    "sagemaker_prefix",
                )
            }
            | {"sagemaker_region": "us-east-1"}
        )
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt")
        assert cli.main(["sagemaker-train", "--profile", "smoke", "--overlay", str(overlay), "--no-wait"]) == 0
        out = capsys.readouterr().out
        name = re.search(r"submitted (piimask-smoke-\d{8}-\d{6}): inputs in s3://bkt/pre/smoke/\1/input/", out).group(1)
        assert f"--attach {name}" in out and not p.model_dir.exists()
        s3.put_object(
            Bucket="bkt", Key=f"pre/smoke/{name}/output/{name}/output/model.tar.gz", Body=model_tar(GOOD_MODEL)
        )
        assert cli.main(["sagemaker-train", "--profile", "smoke", "--overlay", str(overlay), "--attach", name]) == 0
    assert f"model: {p.model_dir} (job {name}" in capsys.readouterr().out
    assert sorted(f.name for f in p.model_dir.iterdir()) == sorted(GOOD_MODEL)


def test_the_shipped_overlay_is_valid_on_every_profile():
    from piimask.core.config import project_root, read_yaml

    overlay = read_yaml(project_root() / "params" / "overlays" / "sagemaker.yaml")
    for profile in ("default", "smoke", "bedrock-batch", "full"):
        p = load_params(profile, overlay)
        assert p.train_on == "sagemaker" and p.run_name == profile and p.sagemaker_image_uri == IMAGE


# -- inside the job -------------------------------------------------------------------------


def test_entry_point_refuses_a_channel_without_params(tmp_path, monkeypatch):
    from piimask.pipeline import train_entry

    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no params.yaml in the train channel"):
        train_entry.main(["--sagemaker"])


@pytest.mark.slow
def test_the_job_trains_from_the_packaged_code_and_its_model_lands_in_the_run(tmp_path, make_run):
    """What the container does, without the container: unpack sourcedir.tar.gz, lay the channel out
    as SageMaker does, run the launcher as the toolkit would; then tar /opt/ml/model as SageMaker
    does and let the job's download put it into outputs/<run>/model/."""
    from moto import mock_aws
    from transformers import AutoConfig

    p, _ = make_run(
        max_steps=3,
        train_on="sagemaker",
        sagemaker_image_uri=IMAGE,
        sagemaker_role_arn=ROLE,
        sagemaker_bucket="bkt",
        sagemaker_prefix="pre",
        sagemaker_spot=True,
    )
    code, channel, model, ckpt = (tmp_path / d for d in ("code", "channel", "model", "checkpoints"))
    with tarfile.open(package_source(tmp_path / "sourcedir.tar.gz")) as tar:
        tar.extractall(code, filter="data")
    for key, src in channel_files(p, tmp_path / "stage").items():  # S3 prefix -> /opt/ml/input/data/train/<key>
        (channel / key).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(src, channel / key) if src.stat().st_size > 1_000_000 else shutil.copy(src, channel / key)
    ckpt.mkdir()  # CheckpointConfig (spot): the folder exists and is synced
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the packaged code
    env.update(
        SM_CHANNEL_TRAIN=str(channel), SM_MODEL_DIR=str(model), PIIMASK_CHECKPOINT_DIR=str(ckpt), OMP_NUM_THREADS="1"
    )
    done = subprocess.run([sys.executable, LAUNCHER], cwd=code, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"piimask: model saved to {model}" in done.stdout
    assert (ckpt / "checkpoint-3" / "optimizer.pt").exists()  # full checkpoints, so a restarted spot job resumes
    saved = yaml.safe_load((model / "params.yaml").read_text())
    assert saved["base_model"] == str(channel / "base-model") and saved["run_name"] == "smoke"
    # a spot job that lost its instance starts again with the synced checkpoints: it resumes at step 3
    # (here with 2 more steps to go) instead of starting over
    (channel / "params.yaml").write_text(
        yaml.safe_dump({**yaml.safe_load((channel / "params.yaml").read_text()), "max_steps": 5})
    )
    again = subprocess.run([sys.executable, LAUNCHER], cwd=code, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (
        again.stdout.count("train: step ") == 2 and done.stdout.count("train: step ") == 3
    )  # one line per step trained
    assert json.loads((model / "metrics.json").read_text())["steps"] == 5

    art = f"s3://bkt/pre/smoke/{JOB}/output/{JOB}/output/model.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for f in sorted(model.iterdir()):
            tar.add(f, arcname=f.name)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key=art.removeprefix("s3://bkt/"), Body=buf.getvalue())
        sm = sm_client()
        with Stubber(sm) as stub:
            stub.add_response(
                "describe_training_job", describe("Completed", "Completed", artifacts=art), {"TrainingJobName": JOB}
            )
            res = SageMakerJob(p, s3=s3, sagemaker=sm, log=lambda m: None).finish({"job_name": JOB})
    assert res.model_dir == p.model_dir and res.metrics["steps"] == 5 and res.metrics["processes"] == 1
    assert AutoConfig.from_pretrained(str(p.model_dir)).id2label[0] == "O"
