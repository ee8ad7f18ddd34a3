"""`qdlc train`: end to end on the examples, its errors, and Ctrl-C saving a checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
CLASSIFIER = str(REPO / "examples" / "classifier.qdl")
VQE = str(REPO / "examples" / "vqe_h2.qdl")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    x = np.random.default_rng(0).uniform(0, np.pi, (48, 4))
    y = np.where(x[:, 0] > np.pi / 2, 1.0, -1.0)
    path = tmp_path / "train.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,c,d,label", comments="")
    return path


def test_classifier_on_csv_data(qdlc, data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ck"
    out = qdlc("train", CLASSIFIER, "--data", str(data), "--steps", "20", "--lr", "0.1",
               "--checkpoint", str(folder), "--every", "5")
    assert out.code == 0, out.err
    assert "steps: 20" in out.out and f"w: {folder / 'w.npy'}  shape [2, 4, 3]" in out.out
    assert "step 20/20" in out.err and "acc " in out.err
    assert np.load(folder / "w.npy").shape == (2, 4, 3)
    resumed = qdlc("train", CLASSIFIER, "--data", str(data), "--steps", "25", "--resume", "--checkpoint", str(folder))
    assert resumed.code == 0 and "steps: 25" in resumed.out
    assert json.loads((folder / "progress.json").read_text())["step"] == 25


def test_vqe_without_data_minimises_the_energy(qdlc, tmp_path: Path) -> None:
    out = qdlc("train", VQE, "--steps", "80", "--lr", "0.1", "--optimizer", "momentum", "--arg", "theta=0.0",
               "--checkpoint", str(tmp_path / "vqe"))
    assert out.code == 0, out.err
    assert float(np.load(tmp_path / "vqe" / "theta.npy")) == pytest.approx(0.2254, abs=0.02)
    assert "best -1.136" in out.out


@pytest.mark.parametrize("argv, message", [
    (["examples/ghz.qdl"], "must return one `expval` or `var`"),
    ([CLASSIFIER, "--data", "nope.csv"], "--data: no such file `nope.csv`"),
    ([CLASSIFIER, "--arg", "v=1"], "--arg v: circuit `classify` has no such argument"),
    ([CLASSIFIER, "--data", "{data}", "--input", "w"], "--input w: circuit `classify` has no such data argument"),
    ([CLASSIFIER, "--resume", "--checkpoint", "{tmp}/none"], "--resume: no checkpoint"),
    ([CLASSIFIER, "--lr", "0"], "Invalid value for '--lr'"),
    ([CLASSIFIER, "--data", "{x_only}", "--loss", "mse"], "--loss mse needs targets"),
])
def test_mistakes_are_named_without_a_traceback(qdlc, data: Path, tmp_path: Path, argv, message) -> None:
    np.save(tmp_path / "x.npy", np.zeros((4, 4)))
    argv = [a.format(data=data, tmp=tmp_path, x_only=tmp_path / "x.npy") for a in argv]
    out = qdlc("train", *argv, "--checkpoint", str(tmp_path / "ck")) if "--checkpoint" not in argv \
        else qdlc("train", *argv)
    assert out.code != 0 and message in out.err and "Traceback" not in out.err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ck"
    command = [sys.executable, "-m", "qdl.cli", "train", CLASSIFIER, "--data", str(data), "--steps", "100000",
               "--every", "1", "--checkpoint", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    deadline = time.time() + 120
    while not (folder / "progress.json").exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "checkpoint saved in" in err and "--resume" in err and "Traceback" not in err
    step = json.loads((folder / "progress.json").read_text())["step"]
    assert 1 <= step < 100000 and np.load(folder / "w.npy").shape == (2, 4, 3)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    assert os.path.getsize(folder / "optimizer.npz") > 0
