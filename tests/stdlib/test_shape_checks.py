"""Gate shapes may be expressions of shape variables bound elsewhere in the signature."""

from qdl.compiler.driver import compile_source

TWO_DESIGN = """
import "std/templates.qdl";
circuit f(param init: float[4], param w: float[2, {rows}, 2]) -> float {{
    qubit q[4];
    simplified_two_design(init, w) q;
    return expval(Z[0]);
}}
"""


def test_simplified_two_design_accepts_n_minus_one_rows():
    result = compile_source(TWO_DESIGN.format(rows=3), "two.qdl")
    assert result.ok, result.render()


def test_simplified_two_design_rejects_other_row_counts():
    for rows in (2, 4):
        result = compile_source(TWO_DESIGN.format(rows=rows), "two.qdl")
        codes = [d.code for d in result.sink.errors]
        assert codes == ["E0206"], result.render()
        assert f"expects size 3 here, found {rows}" in result.render()


def test_floor_and_ceil_give_integers_for_ranges():
    source = """
    circuit f() -> float {
        qubit q[5];
        for i in 0..floor(5 / 2) { x q[i]; }
        for i in ceil(5 / 2)..5 { h q[i]; }
        return expval(Z[0]);
    }
    """
    result = compile_source(source, "f.qdl")
    assert result.ok, result.render()
    gates = [(op.gate, op.qubits) for op in result.module["f"].ops]
    assert gates == [("x", (0,)), ("x", (1,)), ("h", (3,)), ("h", (4,))]
