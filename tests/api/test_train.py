"""The training loop behind `qdlc train`: losses, data files, checkpoints, resume, interruption."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError
from qdl.optim import Adam
from qdl.train import Task, Trainer, _loss, accuracy, data_input, load_data, shaped_rows

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def classify():
    return qdl.load(REPO / "examples" / "classifier.qdl").classify


def moons(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(seed).uniform(0, np.pi, (n, 4))
    return x, np.where(x[:, 0] > np.pi / 2, 1.0, -1.0)


@pytest.mark.parametrize("kind, y", [("value", None), ("mse", np.array([1.0, -1.0, 0.5])),
                                     ("bce", np.array([1.0, 0.0, 1.0]))])
def test_loss_derivatives_match_finite_differences(kind: str, y) -> None:
    f = np.array([0.3, -0.6, 0.1])
    _, d = _loss(kind, f, y)
    eps = 1e-6
    fd = [(_loss(kind, f + eps * e, y)[0] - _loss(kind, f - eps * e, y)[0]) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-9)


def test_accuracy_by_label_kind() -> None:
    f = np.array([0.4, -0.2, 0.7, 0.1])
    assert accuracy("mse", f, np.array([1.0, -1.0, -1.0, 1.0])) == 0.75
    assert accuracy("bce", f, np.array([1.0, 0.0, 1.0, 0.0])) == 0.75
    assert accuracy("mse", f, np.array([0.0, 0.0, 1.0, 0.0])) == 1.0  # 0/1 targets under mse: f > 1/2
    assert accuracy("mse", f, np.array([0.2, 0.1, 0.3, 0.4])) is None
    assert accuracy("value", f, None) is None


def test_data_files(tmp_path: Path) -> None:
    table = np.arange(12.0).reshape(4, 3)
    (tmp_path / "h.csv").write_text("a,b,label\n" + "\n".join(",".join(map(str, r)) for r in table))
    np.savetxt(tmp_path / "n.csv", table, delimiter=",")
    np.savez(tmp_path / "d.npz", x=table[:, :2], y=table[:, 2])
    np.save(tmp_path / "x.npy", table)
    for name in ("h.csv", "n.csv", "d.npz"):
        x, y = load_data(str(tmp_path / name), None)
        np.testing.assert_array_equal(x, table[:, :2])
        np.testing.assert_array_equal(y, table[:, 2])
    x, y = load_data(str(tmp_path / "n.csv"), 0)
    np.testing.assert_array_equal(y, table[:, 0])
    assert load_data(str(tmp_path / "x.npy"), None)[1] is None
    with pytest.raises(ArgumentError, match="no such file"):
        load_data(str(tmp_path / "missing.csv"), None)
    with pytest.raises(ArgumentError, match="has 3 columns"):
        load_data(str(tmp_path / "n.csv"), 7)
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    with pytest.raises(ArgumentError, match="cannot read"):
        load_data(str(tmp_path / "bad.csv"), None)


def test_data_argument_and_row_shapes(classify) -> None:
    assert data_input(classify, None, {}) == "x"
    with pytest.raises(ArgumentError, match="no such data argument; its data arguments: x"):
        data_input(classify, "w", {})
    with pytest.raises(ArgumentError, match="could take the data"):
        data_input(classify, None, {"x": [0, 0, 0, 0]})
    assert shaped_rows(np.zeros((5, 4)), classify, "x").shape == (5, 4)
    with pytest.raises(ArgumentError, match=r"rows have 3 values but `x` is float\[4\]"):
        shaped_rows(np.zeros((5, 3)), classify, "x")


def test_the_gradient_of_the_loss_is_the_chain_rule_of_qdls_jacobian(classify) -> None:
    x, y = moons(6)
    w = np.random.default_rng(3).uniform(0, 6, (2, 4, 3))
    loss, grads, f = Task(classify, "mse", "x").loss_and_grad({"w": w}, x, y)
    eps = 1e-6
    e = np.zeros_like(w)
    e[1, 2, 0] = eps
    fd = (np.mean((classify(x, w + e) - y) ** 2) - np.mean((classify(x, w - e) - y) ** 2)) / (2 * eps)
    assert grads["w"][1, 2, 0] == pytest.approx(fd, abs=1e-8)
    assert loss == pytest.approx(np.mean((f - y) ** 2))


def trainer(classify, folder: Path, seed: int = 1) -> Trainer:
    return Trainer(Task(classify, "mse", "x"), Adam(0.1), folder, batch_size=8, seed=seed)


def test_training_lowers_the_loss_and_checkpoints(classify, tmp_path: Path) -> None:
    x, y = moons()
    t = trainer(classify, tmp_path / "ck")
    params = t.run(t.initial({}, 0), x, y, steps=25, every=10, report=lambda *a: None)
    history = t.progress.history
    assert len(history) == 25 and np.mean(history[-5:]) < np.mean(history[:5])
    saved = json.loads((tmp_path / "ck" / "progress.json").read_text())
    assert saved["step"] == 25
    np.testing.assert_array_equal(np.load(tmp_path / "ck" / "w.npy"), params["w"])
    assert not [p for p in (tmp_path / "ck").iterdir() if p.name.startswith(".")]  # no temporary files left


def test_resume_continues_exactly_where_an_uninterrupted_run_would_be(classify, tmp_path: Path) -> None:
    x, y = moons()
    whole = trainer(classify, tmp_path / "a")
    straight = whole.run(whole.initial({}, 0), x, y, steps=12, every=0, report=lambda *a: None)
    first = trainer(classify, tmp_path / "b")
    first.run(first.initial({}, 0), x, y, steps=5, every=0, report=lambda *a: None)
    second = trainer(classify, tmp_path / "b")
    resumed = second.run(second.resume(), x, y, steps=12, every=0, report=lambda *a: None)
    np.testing.assert_allclose(resumed["w"], straight["w"], atol=1e-12)
    assert second.progress.history == pytest.approx(whole.progress.history, abs=1e-12)


def test_an_interrupted_run_keeps_its_last_parameters(classify, tmp_path: Path) -> None:
    x, y = moons()
    t = trainer(classify, tmp_path / "ck")

    def interrupt(step, *rest):
        if step == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        t.run(t.initial({}, 0), x, y, steps=100, every=0, report=interrupt)
    assert json.loads((tmp_path / "ck" / "progress.json").read_text())["step"] == 7
    again = trainer(classify, tmp_path / "ck")
    again.resume()
    assert again.progress.step == 7


def test_initial_values_and_checkpoints_are_shape_checked(classify, tmp_path: Path) -> None:
    t = trainer(classify, tmp_path / "ck")
    with pytest.raises(ArgumentError, match=r"initial value of `w` has shape \(3,\)"):
        t.initial({"w": np.zeros(3)}, 0)
    np.testing.assert_array_equal(t.initial({"w": np.ones((2, 4, 3))}, 0)["w"], 1.0)
    with pytest.raises(ArgumentError, match="no checkpoint"):
        t.resume()


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    from qdl.train import _atomic

    def interrupted(handle):
        handle.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _atomic(tmp_path / "w.npy", interrupted)
    assert list(tmp_path.iterdir()) == []
