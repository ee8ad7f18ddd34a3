"""The Python API: loading, calling, batching, results and every user-facing error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qdl
from qdl import ArgumentError, CompileError, ExecutionError, QdlError

REPO = Path(__file__).resolve().parents[2]

ALL_RESULTS = """
circuit all(t: float) -> (float, float, float[4], int[2], complex[4]) {
    qubit q[2];
    ry(t) q[0];
    cx q[0], q[1];
    return (expval(Z[0]), var(Z[0]), probs(q), sample(q), state());
}
"""

SIGNATURE = """
circuit f(theta: float, x: float[3], param w: float[2, 2], n: int, flag: bool) -> float {
    qubit q[2];
    rx(theta * n) q[0];
    ry(x[0] + x[1] + x[2]) q[1];
    rz(w[0, 0] + w[1, 1]) q[0];  // `flag` is only passed: a bool is not an angle
    return expval(Z[0] + Z[1]);
}
"""


@pytest.fixture(scope="module")
def sig():
    return qdl.compile(SIGNATURE, "sig.qdl").f


@pytest.fixture(scope="module")
def every():
    return qdl.compile(ALL_RESULTS, "all.qdl").all


def good_args() -> dict:
    return dict(theta=0.1, x=[0.1, 0.2, 0.3], w=np.zeros((2, 2)), n=2, flag=True)


# ---------------------------------------------------------------- loading


def test_load_accepts_str_and_path():
    for path in ("examples/vqe_h2.qdl", REPO / "examples" / "vqe_h2.qdl"):
        prog = qdl.load(REPO / path if isinstance(path, str) else path)
        assert prog.circuits == ("energy",)
        assert prog.energy(0.0) == pytest.approx(-1.11734903, abs=1e-8)


def test_load_resolves_imports_relative_to_the_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "gates.qdl").write_text("gate flip a { x a; }\n")
    (tmp_path / "main.qdl").write_text(
        'import "lib/gates.qdl";\ncircuit c() -> float { qubit q; flip q; return expval(Z[0]); }\n')
    assert qdl.load(tmp_path / "main.qdl").c() == pytest.approx(-1.0)


def test_compile_resolves_imports_against_base_dir(tmp_path):
    (tmp_path / "g.qdl").write_text("gate flip a { x a; }\n")
    source = 'import "g.qdl";\ncircuit c() -> float { qubit q; flip q; return expval(Z[0]); }\n'
    assert qdl.compile(source, base_dir=tmp_path).c() == pytest.approx(-1.0)
    with pytest.raises(CompileError, match="E0210"):
        qdl.compile(source, base_dir=tmp_path / "elsewhere")


def test_compile_finds_the_stdlib_from_anywhere(tmp_path):
    source = ('import "std/templates.qdl";\n'
              "circuit c() -> float { qubit q[2]; h q[0]; cnot_chain q; return expval(Z[0] Z[1]); }\n")
    assert qdl.compile(source, base_dir=tmp_path).c() == pytest.approx(1.0)


def test_program_access(every):
    prog = qdl.compile(ALL_RESULTS + "circuit other() -> float { qubit q; return expval(Z[0]); }")
    assert prog.circuits == ("all", "other")
    assert list(prog) == ["all", "other"]
    assert prog["all"] is prog.all
    assert {"all", "other"} <= set(dir(prog))
    assert repr(prog) == "<qdl program: all, other>"
    assert repr(prog.other) == "<qdl circuit other()>"
    assert prog.other.signature == "other()"
    assert prog.all.name == "all"
    assert "circuit all(t: float)" in prog.all.ir and "circuit other()" in prog.ir
    assert prog.module.names == ("all", "other")
    with pytest.raises(AttributeError, match=r"program has no circuit `nope`; circuits: all, other"):
        prog.nope
    with pytest.raises(KeyError, match=r"no circuit `nope`; circuits: all, other"):
        prog["nope"]


def test_signature_text(sig):
    assert sig.signature == "f(theta: float, x: float[3], param w: float[2, 2], n: int, flag: bool)"
    assert [a.name for a in sig.circuit.trainable] == ["w"]


def test_warnings_are_kept_on_the_program():
    prog = qdl.compile("circuit c(t: float) -> float { qubit q[2]; h q[0]; return expval(Z[0]); }", "w.qdl")
    assert "W0201" in prog.warnings and "W0202" in prog.warnings
    assert qdl.compile(ALL_RESULTS).warnings == ""


# ---------------------------------------------------------------- calling


def test_positional_keyword_and_mixed_calls_agree(sig):
    a = good_args()
    by_position = sig(*a.values())
    assert sig(**a) == pytest.approx(by_position)
    assert sig(a["theta"], a["x"], w=a["w"], n=a["n"], flag=a["flag"]) == pytest.approx(by_position)
    assert sig(0.1, [0.1, 0.2, 0.3], [[0, 0], [0, 0]], 2, 1) == pytest.approx(by_position)


def test_values_match_a_hand_computation(sig):
    # q0: rx(theta*n) then rz (no effect on Z); q1: ry(sum x)
    value = sig(0.3, [0.1, 0.2, 0.4], np.ones((2, 2)), 2, False)
    assert value == pytest.approx(np.cos(0.6) + np.cos(0.7), abs=1e-12)


def test_unbatched_result_kinds(every):
    e, v, p, s, st = every(0.5, shots=7, seed=1)
    assert np.shape(e) == () and np.shape(v) == ()
    assert e == pytest.approx(np.cos(0.5)) and v == pytest.approx(1 - np.cos(0.5) ** 2)
    assert p.shape == (4,) and p.dtype == np.float64
    np.testing.assert_allclose(p, [np.cos(0.25) ** 2, 0, 0, np.sin(0.25) ** 2], atol=1e-12)
    assert s.shape == (7, 2) and set(np.unique(s)) <= {0, 1}
    assert (s[:, 0] == s[:, 1]).all()  # the Bell-like state: both columns agree
    assert st.shape == (4,) and st.dtype == np.complex128
    np.testing.assert_allclose(st, [np.cos(0.25), 0, 0, np.sin(0.25)], atol=1e-12)


def test_batched_result_kinds(every):
    e, v, p, s, st = every(np.array([0.1, 0.2, 0.3]), shots=5, seed=2)
    assert e.shape == (3,) and v.shape == (3,)
    assert p.shape == (3, 4) and s.shape == (3, 5, 2) and st.shape == (3, 4)
    np.testing.assert_allclose(e, np.cos([0.1, 0.2, 0.3]), atol=1e-12)


def test_batching_broadcasts_unbatched_arguments(sig):
    a = good_args()
    thetas = np.linspace(0, 1, 4)
    batched = sig(thetas, a["x"], a["w"], a["n"], a["flag"])
    assert batched.shape == (4,)
    singles = [sig(t, a["x"], a["w"], a["n"], a["flag"]) for t in thetas]
    np.testing.assert_allclose(batched, singles, atol=1e-12)
    both = sig(thetas, np.tile(a["x"], (4, 1)), np.zeros((4, 2, 2)), [2] * 4, [True] * 4)
    np.testing.assert_allclose(both, singles, atol=1e-12)


def test_tuple_results():
    prog = qdl.compile("""
        circuit pair() -> (float, float[2]) { qubit q; x q; return (expval(Z[0]), probs(q)); }
        circuit single() -> (float,) { qubit q; x q; return (expval(Z[0]),); }
        circuit paren() -> (float) { qubit q; x q; return expval(Z[0]); }
        circuit bare() -> float { qubit q; x q; return (expval(Z[0])); }
    """)
    value, probs = prog.pair()
    assert value == pytest.approx(-1) and list(probs) == [0, 1]
    single = prog.single()
    assert isinstance(single, tuple) and len(single) == 1 and single[0] == pytest.approx(-1)
    assert not isinstance(prog.bare(), tuple)
    assert not isinstance(prog.paren(), tuple)


def test_probs_are_little_endian_over_the_listed_qubits():
    prog = qdl.compile("""
        circuit order() -> (float[8], float[4], float[4]) {
            qubit q[3];
            x q[0];
            return (probs(q), probs(q[0], q[1]), probs(q[1], q[0]));
        }""")
    full, forward, backward = prog.order()
    assert np.argmax(full) == 1 and np.argmax(forward) == 1 and np.argmax(backward) == 2


def test_shots_and_seed(every):
    _, _, _, a, _ = every(1.0, shots=50, seed=3)
    _, _, _, b, _ = every(1.0, shots=50, seed=3)
    _, _, _, c, _ = every(1.0, shots=50, seed=4)
    assert (a == b).all() and not (a == c).all()
    assert every(1.0, shots=1)[3].shape == (1, 2)


@pytest.mark.parametrize("shots", [0, -3, 2.5, "10"])
def test_bad_shots(every, shots):
    with pytest.raises(ArgumentError, match="shots must be a positive integer"):
        every(1.0, shots=shots)


def test_sample_without_shots_is_an_argument_error(every):
    with pytest.raises(ArgumentError, match=r"circuit `all` returns `sample`: pass shots=N"):
        every(1.0)


def test_state_after_a_random_measurement_is_an_execution_error():
    prog = qdl.compile("circuit m() -> complex[2] { qubit q; bit b; h q; b = measure q; return state(); }")
    with pytest.raises(ExecutionError, match="state is undefined after a mid-circuit measurement"):
        prog.m()


# ---------------------------------------------------------------- argument errors


def raises_argument_error(function, *args, **kwargs) -> str:
    with pytest.raises(ArgumentError) as info:
        function(*args, **kwargs)
    assert isinstance(info.value, QdlError) and isinstance(info.value, ValueError)
    return str(info.value)


def test_missing_arguments(sig):
    message = raises_argument_error(sig, 0.1, [1, 2, 3])
    assert message == ("circuit `f` is missing argument(s) `param w: float[2, 2]`, `n: int`, `flag: bool`")


def test_unknown_argument_with_did_you_mean(sig):
    message = raises_argument_error(sig, thta=1, **{k: v for k, v in good_args().items() if k != "theta"})
    assert message == "circuit `f` has no argument `thta`; did you mean `theta`?"


def test_unknown_argument_lists_the_arguments(sig):
    message = raises_argument_error(sig, **good_args(), zzz=1)
    assert message == "circuit `f` has no argument `zzz`; its arguments are: theta, x, w, n, flag"


def test_argument_given_twice(sig):
    a = good_args()
    message = raises_argument_error(sig, *a.values(), theta=0.3)
    assert message == "argument `theta` of circuit `f` was given twice"


def test_too_many_positional_arguments(sig):
    message = raises_argument_error(sig, *good_args().values(), 1, 2)
    assert message == "circuit `f` takes 5 argument(s) but 7 were given positionally"


@pytest.mark.parametrize("name, value, shape", [
    ("x", [1, 2], "(2,)"), ("x", np.zeros((2, 2, 3)), "(2, 2, 3)"), ("w", np.zeros(4), "(4,)"),
    ("theta", np.zeros((2, 2)), "(2, 2)"),
])
def test_wrong_shape(sig, name, value, shape):
    a = good_args() | {name: value}
    message = raises_argument_error(sig, **a)
    want = {"x": "(3,) (or a batch (B, 3))", "w": "(2, 2) (or a batch (B, 2, 2))", "theta": "() (or a batch (B,))"}
    assert message == f"argument `{name}` of circuit `f` expects shape {want[name]}, got {shape}"


def test_ragged(sig):
    message = raises_argument_error(sig, **good_args() | {"x": [[1, 2, 3], [1]]})
    assert message.startswith("argument `x` of circuit `f` is not a rectangular array of numbers")


@pytest.mark.parametrize("value, kind", [("0.1", "text"), (1 + 2j, "complex numbers"), (None, "objects"),
                                         ([0.1, "a", 0.3], "text"), ({"a": 1}, "objects")])
def test_non_numeric(sig, value, kind):
    name = "x" if isinstance(value, list) else "theta"
    message = raises_argument_error(sig, **good_args() | {name: value})
    assert message == f"argument `{name}` of circuit `f` expects float values, got {kind}"


def test_int_and_bool_values(sig):
    message = raises_argument_error(sig, **good_args() | {"n": 2.5})
    assert message == "argument `n` of circuit `f` expects integers, got non-integer values"
    message = raises_argument_error(sig, **good_args() | {"flag": 2})
    assert message == "argument `flag` of circuit `f` expects booleans, got other values"
    assert sig(**good_args() | {"n": 2.0, "flag": 1}) == pytest.approx(sig(**good_args()))


def test_batch_mismatch(sig):
    message = raises_argument_error(sig, **good_args() | {"theta": [0.1, 0.2], "w": np.zeros((3, 2, 2))})
    assert message == "batch sizes differ: `theta` has 2 rows but `w` has 3 (circuit `f`)"


def test_empty_batch_next_to_an_unbatched_argument(sig):
    out = sig(**good_args() | {"theta": np.zeros(0)})
    assert out.shape == (0,)


@pytest.mark.parametrize("backend", ["llvm", "reference"])
@pytest.mark.parametrize("method", ["adjoint", "parameter-shift", "finite-diff"])
def test_empty_batches_give_empty_values_and_derivatives(backend: str, method: str):
    classify = qdl.load(REPO / "examples" / "classifier.qdl", backend=backend).classify
    x, w = np.zeros((0, 4)), np.zeros((2, 4, 3))
    assert classify(x, w).shape == (0,) and classify.state(x, w).shape == (0, 16)
    value, (dx, dw) = classify.value_and_jacobian(x, w, method=method, wrt=["x", "w"])
    assert value.shape == (0,) and dx.shape == (0, 4) and dw.shape == (0, 2, 4, 3)


def test_bad_seed_is_an_argument_error(every):
    with pytest.raises(ArgumentError):
        every(1.0, shots=2, seed="a")


# ---------------------------------------------------------------- compile errors


def test_compile_error_names_file_line_and_column():
    source = "circuit c() -> float {\n    qubit q;\n    hh q;\n    return expval(Z[0]);\n}\n"
    with pytest.raises(CompileError) as info:
        qdl.compile(source, "typo.qdl")
    text = str(info.value)
    assert "error[E0202]: unknown gate `hh`" in text
    assert " --> typo.qdl:3:5" in text
    assert "help: did you mean `h`?" in text
    assert [d.code for d in info.value.diagnostics] == ["E0202"]
    assert isinstance(info.value, QdlError)


def test_load_error_names_the_file(tmp_path):
    bad = tmp_path / "bad.qdl"
    bad.write_text("circuit c() -> float {\n    qubit q;\n    h q\n}\n")
    with pytest.raises(CompileError, match=r"bad\.qdl:3:8"):
        qdl.load(bad)
    with pytest.raises(CompileError, match="E0001"):
        qdl.load(tmp_path / "missing.qdl")


def test_limits():
    loop = "circuit c() -> float { qubit q; for i in 0..50 { x q; } return expval(Z[0]); }"
    with pytest.raises(CompileError, match="E0306"):
        qdl.compile(loop, max_ops=10)
    assert qdl.compile(loop, max_ops=100).c() == pytest.approx(1.0)
    wide = "circuit c() -> float { qubit q[10]; h q; return expval(Z[0]); }"
    with pytest.raises(CompileError, match="E0305"):
        qdl.compile(wide, max_memory=1000)
    assert qdl.compile(wide, max_memory=1 << 20).c() == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- known compiler issues (xfail until fixed)


def codes_of(source: str) -> list[str]:
    with pytest.raises(CompileError) as info:
        qdl.compile(source, "issue.qdl")
    return [d.code for d in info.value.diagnostics]


def test_unterminated_block_comment_is_e0104():
    assert codes_of("circuit c() -> float { qubit q; h q; return expval(Z[0]); }\n/* open\n") == ["E0104"]


def test_failed_register_size_reports_one_error():
    source = "circuit c(n: int) -> float { qubit q[n]; h q[0]; return expval(Z[0]); }"
    assert codes_of(source) == ["E0207"]


def test_rejected_param_reports_one_error():
    source = "circuit c(param n: int) -> float { qubit q; rx(n) q; return expval(Z[0]); }"
    assert codes_of(source) == ["E0221"]


def test_syntax_error_names_no_internal_tokens():
    with pytest.raises(CompileError) as info:
        qdl.compile("circuit c() -> float { qubit q; rx(1 2) q; return expval(Z[0]); }")
    assert "__ANON" not in str(info.value)
