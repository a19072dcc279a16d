"""Fine-tune on a SageMaker training job: package, upload, create, poll, download the model.

Built on boto3's ``sagemaker`` client (``create_training_job``, ``describe_training_job``) rather
than the ``sagemaker`` SDK: boto3 is already a dependency (Bedrock, S3), the request is one
documented call whose every field is visible here and checked by botocore's Stubber in the
tests, and the SDK would add a large dependency (and its own config and session) to every install
for one job submission.

The job runs the Hugging Face / PyTorch training container named by ``sagemaker_image_uri``. Its
training toolkit downloads ``sourcedir.tar.gz`` (``src/piimask``, a two-line launcher, a
``requirements.txt``), installs the requirements (torch is the image's own) and runs the launcher,
which calls ``piimask.pipeline.train_entry`` - the same ``piimask.pipeline.train.train`` as a local run, on the run's
params and splits (no notebook in the job). With ``sagemaker_distribution: torchrun`` the toolkit
starts one process per GPU on every instance. S3 layout, under
``s3://<sagemaker_bucket>/<sagemaker_prefix>/<run>/<job>/``::

    input/code/sourcedir.tar.gz                 the code
    input/data/params.yaml, splits/*.parquet    the "train" channel (and base-model/ when local)
    output/<job>/output/model.tar.gz            what the job writes to /opt/ml/model
    checkpoints/                                /opt/ml/checkpoints, synced (spot instances)

When the job completes, ``model.tar.gz`` is unpacked into ``outputs/<run>/model/`` (replacing what
was there), so 05 and 06 continue unchanged. A job that failed or was stopped raises
``TrainingJobFailed`` with its ``FailureReason`` and nothing is downloaded. The job's name and
state are kept in ``outputs/<run>/sagemaker/job.json``: ``--attach`` picks a job up again.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.metadata
import io
import json
import re
import shutil
import tarfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from ..core.config import Params
from .train import TrainResult, load_result

LAUNCHER = "piimask_train_job.py"
LAUNCHER_SOURCE = '''"""Run by the SageMaker training toolkit (sagemaker_program): piimask's training entry point."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
from piimask.pipeline.train_entry import main  # noqa: E402

sys.exit(main(["--sagemaker", *sys.argv[1:]]))
'''
# what the training code imports besides torch (the image's own, never reinstalled)
JOB_REQUIREMENTS = (
    "transformers",
    "datasets",
    "evaluate",
    "seqeval",
    "accelerate",
    "faker",
    "pandas",
    "pyarrow",
    "pyyaml",
    "tqdm",
)
TRAIN_SPLITS = ("train", "validation")  # the test split stays here: 05 scores it
CHANNEL = "train"
CHECKPOINT_LOCAL = "/opt/ml/checkpoints"
TERMINAL = ("Completed", "Failed", "Stopped")
MAX_POLL_FACTOR = 10  # the wait between status checks grows to at most 10 x sagemaker_poll_s


class TrainingJobFailed(RuntimeError):
    """A SageMaker training job ended Failed or Stopped; nothing was downloaded."""


class AWSError(RuntimeError):
    """An AWS call failed (credentials, permissions, a missing bucket); the message says which."""


@contextlib.contextmanager
def _aws(what: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise AWSError(f"{what}: {err.get('Code', 'error')}: {err.get('Message', exc)}") from None
    except BotoCoreError as exc:  # no credentials, no region, no network
        raise AWSError(f"{what}: {exc} (are AWS credentials configured, e.g. `aws configure` or a role?)") from None


def job_requirements() -> str:
    """requirements.txt for the job: piimask's own version bounds for what training imports."""
    try:
        specs = importlib.metadata.requires("piimask") or []
    except importlib.metadata.PackageNotFoundError:
        specs = []
    bounds = {}
    for spec in specs:
        if ";" in spec:  # an extra (dev, app, fast)
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower()
        bounds[name] = spec
    return "".join(bounds.get(name, name) + "\n" for name in JOB_REQUIREMENTS)


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def package_source(dest: str | Path) -> Path:
    """``sourcedir.tar.gz``: the launcher, requirements.txt and ``src/piimask`` (no caches).

    Byte-identical for identical code (sorted entries, no timestamps).
    """
    pkg = Path(__file__).resolve().parents[1]  # src/piimask (this module is in its pipeline floor)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    with (
        open(dest, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _tar_add_bytes(tar, LAUNCHER, LAUNCHER_SOURCE.encode())
        _tar_add_bytes(tar, "requirements.txt", job_requirements().encode())
        for f in files:
            _tar_add_bytes(tar, "src/piimask/" + f.relative_to(pkg).as_posix(), f.read_bytes())
    return dest


def channel_files(params: Params, work_dir: str | Path) -> dict[str, Path]:
    """The train channel, key (relative to the channel) -> local file: params, splits, local base model."""
    from ..core.config import resolve_path

    splits = params.data_dir / "splits"
    files: dict[str, Path] = {}
    for split in TRAIN_SPLITS:
        if (splits / f"{split}.parquet").exists():
            files[f"splits/{split}.parquet"] = splits / f"{split}.parquet"
    if "splits/train.parquet" not in files:
        raise FileNotFoundError(
            f"no train split in {splits}; run the label stage (02) for run {params.run_name!r} first"
        )
    if (splits / "label2id.json").exists():
        files["splits/label2id.json"] = splits / "label2id.json"
    files["params.yaml"] = params.save(Path(work_dir) / "params.yaml")
    base = resolve_path(params.base_model)
    if base.is_dir():  # a local base model (the offline one) travels with the data; a hub id is fetched in the job
        if not (base / "config.json").exists():
            raise FileNotFoundError(f"base_model {params.base_model} has no config.json; build it with make base-model")
        for f in sorted(base.rglob("*")):
            if f.is_file():
                files["base-model/" + f.relative_to(base).as_posix()] = f
    return files


def job_name(params: Params, now: datetime | None = None) -> str:
    """``piimask-<run>-<UTC time>``, in SageMaker's alphabet (letters, digits, '-') and 63 characters."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    run = re.sub(r"[^A-Za-z0-9]+", "-", params.run_name).strip("-")[: 63 - len("piimask--") - len(stamp)]
    return f"piimask-{run}-{stamp}" if run else f"piimask-{stamp}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    m = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
    if not m:
        raise ValueError(f"not an S3 object URI: {uri!r}")
    return m.group(1), m.group(2)


def training_job_request(params: Params, name: str, base_uri: str, region: str | None = None) -> dict:
    """The ``CreateTrainingJob`` request for ``params``, its S3 locations under ``base_uri``."""
    region = region or params.sagemaker_region or params.region
    hyper = {
        "sagemaker_program": LAUNCHER,
        "sagemaker_submit_directory": f"{base_uri}/input/code/sourcedir.tar.gz",
        "sagemaker_region": region,
        "sagemaker_container_log_level": 20,
        "sagemaker_job_name": name,
    }
    if params.sagemaker_distribution == "torchrun":  # the toolkit runs torchrun, one process per GPU per instance
        hyper.update(sagemaker_torch_distributed_enabled=True, sagemaker_instance_type=params.sagemaker_instance_type)
    stopping = {"MaxRuntimeInSeconds": params.sagemaker_max_run_s}
    req = {
        "TrainingJobName": name,
        "RoleArn": params.sagemaker_role_arn,
        # the toolkit reads hyperparameters as JSON, as the sagemaker SDK writes them
        "HyperParameters": {k: json.dumps(v) for k, v in hyper.items()},
        "AlgorithmSpecification": {"TrainingImage": params.sagemaker_image_uri, "TrainingInputMode": "File"},
        "InputDataConfig": [
            {
                "ChannelName": CHANNEL,
                "InputMode": "File",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"{base_uri}/input/data/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"{base_uri}/output/"},
        "ResourceConfig": {
            "InstanceType": params.sagemaker_instance_type,
            "InstanceCount": params.sagemaker_instance_count,
            "VolumeSizeInGB": params.sagemaker_volume_gb,
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": params.sagemaker_spot,
        "Environment": {"TOKENIZERS_PARALLELISM": "false", "PIIMASK_RUN": params.run_name},
        "Tags": [{"Key": "piimask:run", "Value": params.run_name}],
    }
    if params.sagemaker_spot:  # an interrupted spot job restarts and resumes from the synced checkpoints
        stopping["MaxWaitTimeInSeconds"] = params.sagemaker_max_wait_s
        req["CheckpointConfig"] = {"S3Uri": f"{base_uri}/checkpoints/", "LocalPath": CHECKPOINT_LOCAL}
    return req


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        path = Path(m.name)
        if path.is_absolute() or ".." in path.parts or not (m.isfile() or m.isdir()):
            raise TrainingJobFailed(f"model.tar.gz holds an unsafe entry {m.name!r}; not extracted")
        members.append(m)
    return members


def extract_model(archive: str | Path, model_dir: str | Path) -> Path:
    """Unpack ``model.tar.gz`` into ``model_dir``, replacing it only once the archive proves whole."""
    model_dir = Path(model_dir)
    staging = model_dir.with_name(model_dir.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python's own check, where it has one
            tar.extractall(staging, members=_safe_members(tar), **safe)
        missing = [f for f in ("config.json", "metrics.json") if not (staging / f).exists()]
        if missing:
            raise TrainingJobFailed(f"model.tar.gz has no {', '.join(missing)}: the job did not write a piimask model")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(model_dir, ignore_errors=True)  # masking.json belonged to the old model; 06 chooses anew
    staging.rename(model_dir)
    return model_dir


class SageMakerJob:
    """One run's training job. Clients and ``sleep`` can be given (tests); by default boto3's."""

    def __init__(
        self,
        params: Params,
        s3=None,
        sagemaker=None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = print,
        now: Callable[[], datetime] | None = None,
    ):
        if not (params.sagemaker_image_uri and params.sagemaker_role_arn and params.sagemaker_bucket):
            raise ValueError(
                "sagemaker_image_uri, sagemaker_role_arn and sagemaker_bucket must be set to train on "
                "SageMaker (see params/overlays/sagemaker.yaml)"
            )
        self.params = params
        self.region = params.sagemaker_region or params.region
        if not self.region and (s3 is None or sagemaker is None):  # null region: the AWS session's
            from ...runtime.llm import session

            self.region = session(params.aws_profile).region_name
        self._s3, self._sm = s3, sagemaker
        self._sleep, self._log = sleep, log
        self._now = now or (lambda: datetime.now(timezone.utc))
        self.work_dir = params.run_dir / "sagemaker"

    @property
    def s3(self):
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", region_name=self.region)
        return self._s3

    @property
    def sagemaker(self):
        if self._sm is None:
            import boto3

            self._sm = boto3.client("sagemaker", region_name=self.region)
        return self._sm

    def base_uri(self, name: str) -> str:
        p = self.params
        return f"s3://{p.sagemaker_bucket}/{p.sagemaker_prefix.strip('/')}/{p.run_name}/{name}"

    # -- submit -----------------------------------------------------------------------------
    def submit(self) -> dict:
        """Package code and data, upload them, create the training job; return the job state."""
        name = job_name(self.params, self._now())
        base = self.base_uri(name)
        bucket, prefix = split_s3_uri(base)
        stage = self.work_dir / name
        uploads = {f"{prefix}/input/code/sourcedir.tar.gz": package_source(stage / "sourcedir.tar.gz")}
        uploads.update({f"{prefix}/input/data/{key}": path for key, path in channel_files(self.params, stage).items()})
        with _aws(f"uploading the job's inputs to s3://{bucket}/{prefix}/input/"):
            for key, path in uploads.items():
                self.s3.upload_file(str(path), bucket, key)
        request = training_job_request(self.params, name, base, self.region)
        with _aws(f"creating training job {name}"):
            arn = self.sagemaker.create_training_job(**request)["TrainingJobArn"]
        state = {
            "job_name": name,
            "job_arn": arn,
            "status": "InProgress",
            "input_uri": f"{base}/input/",
            "output_uri": f"{base}/output/",
            "instance_type": self.params.sagemaker_instance_type,
            "instance_count": self.params.sagemaker_instance_count,
            "spot": self.params.sagemaker_spot,
            "region": self.region,
        }
        self._save(state)
        self._log(
            f"SageMaker training job {name} created in {self.region} "
            f"({self.params.sagemaker_instance_count} x {self.params.sagemaker_instance_type}"
            f"{', spot' if self.params.sagemaker_spot else ''})"
        )
        return state

    def attach(self, name: str) -> dict:
        """The state of an earlier job of this run (from job.json, or from SageMaker)."""
        saved = self.load_state()
        if saved and saved.get("job_name") == name:
            return saved
        with _aws(f"describing training job {name}"):
            job = self.sagemaker.describe_training_job(TrainingJobName=name)
        return {
            "job_name": name,
            "job_arn": job["TrainingJobArn"],
            "status": job["TrainingJobStatus"],
            "output_uri": job.get("OutputDataConfig", {}).get("S3OutputPath", ""),
            "region": self.region,
        }

    # -- wait -------------------------------------------------------------------------------
    def wait(self, state: dict) -> dict:
        """Poll ``describe_training_job`` until the job ends; return the last description.

        The wait between checks starts at ``sagemaker_poll_s``, grows by half each time nothing
        changed (to at most 10x) and starts again when the job moves to its next stage.
        """
        base_delay = self.params.sagemaker_poll_s
        delay, last = base_delay, None
        while True:
            with _aws(f"describing training job {state['job_name']}"):
                job = self.sagemaker.describe_training_job(TrainingJobName=state["job_name"])
            status, secondary = job["TrainingJobStatus"], job.get("SecondaryStatus", "")
            if (status, secondary) != last:
                self._log(f"{state['job_name']}: {status}" + (f" ({secondary})" if secondary else ""))
                delay, last = base_delay, (status, secondary)
            if status in TERMINAL:
                state.update(
                    status=status,
                    secondary_status=secondary,
                    failure_reason=job.get("FailureReason", ""),
                    billable_seconds=job.get("BillableTimeInSeconds"),
                    training_seconds=job.get("TrainingTimeInSeconds"),
                    model_artifacts=job.get("ModelArtifacts", {}).get("S3ModelArtifacts", ""),
                )
                self._save(state)
                return job
            self._sleep(delay)
            delay = min(delay * 1.5, base_delay * MAX_POLL_FACTOR)

    # -- download ---------------------------------------------------------------------------
    def finish(self, state: dict) -> TrainResult:
        """Wait for the job; on success unpack its model into the run's ``model/`` and return the result."""
        try:
            job = self.wait(state)
        except KeyboardInterrupt:
            self._log(
                f"stopped waiting; the job runs on. Pick it up with: piimask sagemaker-train "
                f"--attach {state['job_name']}"
            )
            raise
        status = job["TrainingJobStatus"]
        if status != "Completed":
            secondary = job.get("SecondaryStatus", "")
            reason = job.get("FailureReason") or "no FailureReason given"
            hint = {
                "MaxRuntimeExceeded": "; raise sagemaker_max_run_s",
                "MaxWaitTimeExceeded": "; raise sagemaker_max_wait_s or train on demand (sagemaker_spot: false)",
            }.get(secondary, "")
            raise TrainingJobFailed(
                f"SageMaker training job {state['job_name']} {status}"
                + (f" ({secondary})" if secondary else "")
                + f": {reason}{hint}. Nothing was downloaded; the job's log is in CloudWatch, log group "
                f"/aws/sagemaker/TrainingJobs, streams {state['job_name']}/algo-*"
            )
        uri = job.get("ModelArtifacts", {}).get("S3ModelArtifacts", "")
        if not uri:
            raise TrainingJobFailed(f"SageMaker training job {state['job_name']} completed without ModelArtifacts")
        bucket, key = split_s3_uri(uri)
        archive = self.work_dir / state["job_name"] / "model.tar.gz"
        archive.parent.mkdir(parents=True, exist_ok=True)
        with _aws(f"downloading {uri}"):
            self.s3.download_file(bucket, key, str(archive))
        model_dir = extract_model(archive, self.params.model_dir)
        archive.unlink()
        billable = job.get("BillableTimeInSeconds")
        self._log(
            f"model of {state['job_name']} unpacked into {model_dir}"
            + (
                f" (billable {billable} s x {job.get('ResourceConfig', {}).get('InstanceCount', 1)} "
                f"{job.get('ResourceConfig', {}).get('InstanceType', '')})"
                if billable is not None
                else ""
            )
        )
        state["model_dir"] = str(model_dir)
        self._save(state)
        return load_result(model_dir)

    # -- state ------------------------------------------------------------------------------
    def _save(self, state: dict) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "job.json").write_text(json.dumps(state, indent=1, default=str))

    def load_state(self) -> dict | None:
        p = self.work_dir / "job.json"
        return json.loads(p.read_text()) if p.exists() else None


def train_on_sagemaker(params: Params, **clients) -> TrainResult:
    """Submit the run's training to SageMaker, wait, and unpack the model into ``outputs/<run>/model/``."""
    job = SageMakerJob(params, **clients)
    return job.finish(job.submit())
