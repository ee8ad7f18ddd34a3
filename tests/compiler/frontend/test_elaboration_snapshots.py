"""The elaborator's full output on long generated programs, pinned as snapshots.

The snapshots under `tests/golden/elaboration/` were written by the
elaborator before its fast paths existed (the straightforward evaluation of
every operand and argument), so they are the reference those fast paths must
reproduce: every op with its span, parameters and order, and every diagnostic
with its code, message, labels, notes and help.  `pytest --update-goldens`
rewrites them (review the diff: it should be empty unless the language changed).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qdl.compiler.deep_stack import run_deep
from qdl.compiler.diagnostics import DiagnosticSink
from qdl.compiler.frontend.modules import ModuleLoader
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden" / "elaboration"
EXAMPLES = sorted((ROOT / "examples").glob("*.qdl"))

HEADER = """\
const N = 8;
const A = [0.25, -0.5, 1.5];
const M = [[1, 2], [3, 4]];
const FLAG = true;
gate pair(a) x, y { rx(a) x; cx x, y; }
gate layer(w: float[n]) r[n] { for i in 0..n { ry(w[i]) r[i]; } }
gate flip a { x a; }
"""

# Statement templates: {i}, {j}, {k} are distinct qubits of q[8], {a} an index of t[16].
STATEMENTS = (
    "h q[{i}];", "x q[{i}];", "cx q[{i}], q[{j}];", "cnot q[{i}], q[{j}];", "ccx q[{i}], q[{j}], q[{k}];",
    "rx(t[{a}]) q[{i}];", "rz(0.5) q[{i}];", "ry(-t[{a}]) q[{i}];", "rx(3) q[{i}];", "rx(w) q[{i}];",
    "u3(t[{a}], 0.1, pi / 2) q[{i}];", "rx(2 * t[{a}] + 1) q[{i}];", "rx(A[{i} % 3]) q[{i}];",
    "rz(M[1, 0]) q[{i}];", "rx(t[-1]) q[{i}];", "rx(t[N + {a} - 8]) q[N - 1];", "swap q[{i}], q[{j}];",
    "h q;", "cx q[0:4], q[4:8];", "cx s, q[{i}];", "h q[[1, 3, 5]];", "h s;", "rzz(t[{a}]) q[{i}], q[{j}];",
    "ctrl @ x q[{i}], q[{j}];", "negctrl @ rx(t[{a}]) q[{i}], q[{j}];", "ctrl(2) @ h q[{i}], q[{j}], q[{k}];",
    "inv @ s q[{i}];", "pow(2) @ t q[{i}];", "pow(0.5) @ rz(t[{a}]) q[{i}];", "inv @ ctrl @ rx(t[1]) q[{i}], q[{j}];",
    "pair(t[{a}]) q[{i}], q[{j}];", "layer(t[0:3]) r;", "flip q[{i}];", "for q in r {{ h q; }}", "gphase(t[{a}]);", "ctrl @ gphase(0.3) q[{i}];",
    "for i in 0..7 {{ cx q[i], q[i + 1]; rz(t[i]) q[i]; }}", "for x in r {{ h x; }}",
    "for i in 0..3 {{ pair(t[i]) q[i], q[i + 4]; }}", "barrier q;", "if (FLAG) {{ y q[{i}]; }}",
    "c[0] = measure q[{i}];", "rx(-7 % 3 + 7 % -3 + 2.5 % 2 + {i} * 0.5 - 1) q[({i} + 1) % 8];",
    "cx q[{i} * 3 % 8], q[({i} * 3 + 1) % 8];", "rz(-{i} % 2.5 - {a} * 1.5) q[{i}];", "if (c[0] == 1) {{ x q[{i}]; }}", "reset r[1];",
)

ERRORS = """\
const B = true;
const K = 5;
const A = [1, 2];
circuit e(param t: float[16]) -> float {
    qubit q[4];
    qubit s;
    bit c[2];
    qubit bad[t[0]];
    h bad[0];
    h q[4];
    h q[-1];
    cx q[1], q[1];
    ccx q[0], q[2], q[0];
    cx q[0];
    h q[0], q[1];
    rx q[0];
    h(0.5) q[0];
    rx(q[0]) q[1];
    rx(B) q[0];
    rx(K[0]) q[0];
    rx(t[16]) q[0];
    rx(t[1.5]) q[0];
    rx(t[0, 1]) q[0];
    rx(t[B]) q[0];
    h q[t[0]];
    h q[1.0];
    h q[2.5];
    h q[B];
    h q[0, 1];
    h t[0];
    h s[0];
    h c[0];
    h K[0];
    h nowhere[0];
    rx(nowhere[0]) q[0];
    rx(t[nowhere]) q[0];
    hh q[0];
    K q[0];
    cx q[99999999999999999999], q[0];
    rx(t[99999999999999999999]) q[0];
    ctrl @ x q[0], q[0];
    cx q[0:2], q[1:4];
    swap q[2], q[1 + 1];
    ccx q[0], q[1], q[1];
    for x in q { h x[0]; }
    for b in c { h b; }
    h A[0];
    rx(K * 9223372036854775807) q[0];
    rx(t[K * 9223372036854775807]) q[0];
    h q[K % 0];
    h q[K - 5.0 * 2];
    rx(1e308 * 10.0) q[0];
    rx(1e308 + 1e308 - 1e308) q[0];
    rx(K % 0.0) q[0];
    rx(-7 % 3 + 7 % -3 + 2.5 % 2 + K * 0.5 - 1) q[1];
    h q[(K + 1) % 4];
    cx q[K - 5], q[(K * 3 - 1) % 4];
    return expval(Z[0]);
}
"""


def generated(seed: int, count: int) -> str:
    """A circuit of `count` random statements of every shape above (fixed seed: reproducible)."""
    rng = random.Random(seed)
    lines = [HEADER, "circuit c(param t: float[16], w: float) -> float {",
             "    qubit q[N];", "    qubit r[3];", "    qubit s;", "    bit c[2];"]
    for _ in range(count):
        i, j, k = rng.sample(range(8), 3)
        lines.append("    " + rng.choice(STATEMENTS).format(i=i, j=j, k=k, a=rng.randrange(16)))
    return "\n".join(lines + ["    return expval(Z[0]);", "}", ""])


def straight_line(seed: int, count: int) -> str:
    """The benchmark's shape: only `rx(t[k]) q[i];` and `cx q[i], q[j];` (compile_time.py)."""
    rng = random.Random(seed)
    lines = ["circuit c(param t: float[64]) -> float {", "    qubit q[16];"]
    for n in range(count):
        i, j = rng.sample(range(16), 2)
        lines.append(f"    cx q[{i}], q[{j}];" if rng.random() < 0.25 else
                     f"    {rng.choice(('rx', 'ry', 'rz'))}(t[{n % 64}]) q[{i}];")
    return "\n".join(lines + ["    return expval(Z[0]);", "}", ""])


def elaborate(text: str, name: str) -> str:
    """Every circuit's fields and ops (one per line, with spans) and every diagnostic, as text."""
    def run() -> str:
        sink = DiagnosticSink()
        program = parse(text, name, sink)
        assert program is not None, "the snapshot programs parse"
        module = ModuleLoader(sink, CompileOptions()).compile_program(program, ROOT / "examples", None)
        lines = []
        for circuit in module.circuits:
            lines.append(f"circuit {circuit.name} qubits={circuit.num_qubits} bits={circuit.num_bits}")
            lines += [f"  {a!r}" for a in circuit.arguments]
            lines += [f"  {r!r}" for r in circuit.qubit_registers + circuit.bit_registers]
            lines += [f"  {op!r}" for op in circuit.ops]
            lines += [f"  -> {r!r}" for r in circuit.results]
        lines += [repr(d) for d in sink.diagnostics]
        return "\n".join(lines) + "\n"
    return run_deep(run)


CASES = {
    "shapes_1": lambda: generated(1, 400),
    "shapes_2": lambda: generated(2, 400),
    "straight_line": lambda: straight_line(3, 1000),
    "errors": lambda: ERRORS,
    **{f"example_{p.stem}": (lambda p=p: p.read_text(encoding="utf-8")) for p in EXAMPLES},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_elaboration_snapshot(name: str, golden) -> None:
    golden(GOLDEN / f"{name}.txt", elaborate(CASES[name](), f"{name}.qdl"))


def test_generated_programs_use_every_shape() -> None:
    """The snapshots exercise each statement shape and report each error line once or more."""
    text = generated(1, 400) + generated(2, 400)
    used = {s for s in STATEMENTS if s.split("{")[0] in text}
    assert len(used) == len(STATEMENTS)
    diagnostics = elaborate(ERRORS, "errors.qdl").count("Diagnostic(")
    assert diagnostics >= 30


def test_rebuilt_gate_op_keeps_every_field() -> None:
    """`modifiers.rebuilt` lists GateOp's fields by hand: a new field must be added there too."""
    from dataclasses import fields, replace

    from qdl.compiler.diagnostics import Span
    from qdl.compiler.frontend.modifiers import rebuilt
    from qdl.compiler.ir import Condition, GateOp

    assert [f.name for f in fields(GateOp)] == ["gate", "qubits", "params", "controls", "control_values",
                                                 "condition", "span"]
    op = GateOp("rx", (1,), (0.5,), (2,), (False,), Condition((0,), 1), Span("f.qdl", 3, 9))
    rebuilt = rebuilt(op, "ry", (0.25,), (3, 2), (True, False))
    assert repr(rebuilt) == repr(replace(op, gate="ry", params=(0.25,), controls=(3, 2),
                                         control_values=(True, False)))
