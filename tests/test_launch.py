"""Training under accelerate launch: 2 CPU processes over gloo train one model, which the main
process alone saves, with its metrics written once."""

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from transformers import AutoConfig

from piimask import cli
from piimask.core.config import load_params
from piimask.pipeline.launch import accelerate_command, child_env, run_training, train_processes

TESTS = Path(__file__).resolve().parent


def test_accelerate_command_cpu_and_gpu():
    cpu = accelerate_command(2, ["--params", "p.yaml"], gpus=0, port=29555)
    assert cpu[1:3] == ["-m", "accelerate.commands.launch"] and cpu[cpu.index("--mixed_precision") + 1] == "no"
    assert cpu[cpu.index("--num_processes") + 1] == "2" and cpu[cpu.index("--main_process_port") + 1] == "29555"
    assert "--cpu" not in cpu  # accelerate's --cpu would start one process without MPI; see piimask.pipeline.launch
    assert cpu[-4:] == ["-m", "piimask.pipeline.train_entry", "--params", "p.yaml"]
    gpu = accelerate_command(2, [], gpus=2, precision="fp16")
    assert "--multi_gpu" in gpu and gpu[gpu.index("--mixed_precision") + 1] == "fp16"
    assert child_env(0)["ACCELERATE_USE_CPU"] == "true" and "ACCELERATE_USE_CPU" not in child_env(2)
    with pytest.raises(ValueError, match="3 processes need 3 GPUs; this machine has 2"):
        accelerate_command(3, [], gpus=2)
    with pytest.raises(ValueError, match="2 or more"):
        accelerate_command(1, [], gpus=0)


@pytest.mark.slow
def test_two_cpu_processes_train_and_only_the_main_one_saves(tmp_path, monkeypatch, make_run):
    p, _ = make_run(max_steps=4, train_processes=2)
    probe = tmp_path / "probe"
    probe.mkdir()
    monkeypatch.setenv("PIIMASK_PROBE_DIR", str(probe))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    res = train_processes(p, module="launch_probe")  # raises unless every process exits 0

    assert res.model_dir == p.model_dir and res.metrics["processes"] == 2 and res.metrics["steps"] == 4
    assert res.history and any("loss" in h for h in res.history)
    cfg = AutoConfig.from_pretrained(str(p.model_dir))
    assert cfg.id2label[0] == "O" and len(cfg.id2label) == len(cfg.label2id)
    writes = {f.name: Counter(f.read_text().splitlines()) for f in probe.iterdir()}
    assert set(writes) == {"writes-0.txt", "writes-1.txt"}  # both processes ran the entry point
    model = p.model_dir.resolve()
    main, other = writes["writes-0.txt"], writes["writes-1.txt"]
    for name in ("metrics.json", "history.json", "params.yaml"):
        assert main[f"write_text {model / name}"] == 1, name  # written once, by the main process
    assert main[f"save_model {model}"] == 1 and main[f"save_tokenizer {model}"] >= 1
    assert not [w for w in other if str(model) in w]  # the other process wrote nothing into model/
    assert json.loads((p.model_dir / "metrics.json").read_text())["processes"] == 2
    # the model folder is the only one beside the checkpoints and the data
    assert sorted(d.name for d in p.run_dir.iterdir() if d.is_dir()) == ["data", "model", "model-checkpoints"]


def test_a_failed_launch_says_so(tmp_path):
    p = load_params("smoke", {"output_root": str(tmp_path), "train_processes": 2})
    with pytest.raises(RuntimeError, match="accelerate launch with 2 processes failed"):
        train_processes(p, module="piimask_no_such_module")
    assert not p.model_dir.exists()


def test_one_process_trains_in_this_process_and_other_targets_are_refused(tmp_path):
    p = load_params(
        "smoke",
        {
            "output_root": str(tmp_path),
            "train_on": "sagemaker",
            "sagemaker_image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1",
            "sagemaker_role_arn": "arn:aws:iam::123456789012:role/r",
            "sagemaker_bucket": "bkt",
        },
    )
    with pytest.raises(ValueError, match="sagemaker_job"):
        run_training(p, {})


def test_cli_train_without_splits_says_to_label_first(tmp_path, capsys):
    assert cli.main(["train", "--profile", "smoke", "--set", f"output_root={tmp_path}", "--nproc", "2"]) == 1
    assert "run the label stage first" in capsys.readouterr().err
    assert cli.main(["train", "--profile", "smoke", "--set", "max_steps"]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err
