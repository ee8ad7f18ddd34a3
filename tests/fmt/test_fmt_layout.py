"""The canonical layout of `qdl.fmt`, case by case (input -> exact output)."""

from __future__ import annotations

import textwrap

import pytest

from qdl.fmt import FormatError, format_source


def fmt(text: str, width: int = 100) -> str:
    return format_source(textwrap.dedent(text).lstrip("\n"), "t.qdl", width)


def expect(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_spacing_indentation_and_one_statement_per_line():
    source = """
    circuit  f( param t:float[ 2 ],x:int )->float{qubit q[3];h q[0];cx q[0],q[1];
      for i in 0 .. 3 { rx( t[0]*x ) q[ i ]; }
    return expval( Z[0]  Z[1] );}
    """
    assert fmt(source) == expect("""
    circuit f(param t: float[2], x: int) -> float {
        qubit q[3];
        h q[0];
        cx q[0], q[1];
        for i in 0..3 {
            rx(t[0] * x) q[i];
        }
        return expval(Z[0] Z[1]);
    }
    """)


def test_parentheses_only_where_precedence_needs_them():
    source = "const A = ((1 + 2)) * (3 - (4 - 5)) - (-(2 ** 3)) ** 2 + (2 ** 3) ** 2 + ((1 - 2) - 3);\n"
    assert fmt(source) == "const A = (1 + 2) * (3 - (4 - 5)) - (-2 ** 3) ** 2 + (2 ** 3) ** 2 + (1 - 2 - 3);\n"


def test_literals_and_forms_are_kept_as_written():
    source = """
    circuit f() -> (float) {
      qubit q; bit c;
      measure q -> c; c = measure q;
      ctrl(1) @ negctrl @ inv @ pow(2) @ rx(1e-3) q, q;
      barrier; reset q;
      return (expval(X[0]),);
    }
    """
    assert fmt(source) == expect("""
    circuit f() -> float {
        qubit q;
        bit c;
        measure q -> c;
        c = measure q;
        ctrl(1) @ negctrl @ inv @ pow(2) @ rx(1e-3) q, q;
        barrier;
        reset q;
        return (expval(X[0]),);
    }
    """)


def test_blank_lines_between_definitions_and_as_in_the_source_elsewhere():
    source = """
    import "std/qft.qdl";
    const A = 1;


    const B = 2;
    gate g q { h q;


      x q;
    }
    gate e q {}
    """
    assert fmt(source) == expect("""
    import "std/qft.qdl";
    const A = 1;

    const B = 2;

    gate g q {
        h q;

        x q;
    }

    gate e q {}
    """)


def test_comments_stay_in_order_trailing_or_on_their_own_line():
    source = """
    // header
    gate g(a) q {  // opening
      /* before h */ h q;   // after h
      rx(a, // inside the call
         ) q;
      // at the end of the block
    }  // after the block
    /* multi
       line */
    // end of file
    """
    with pytest.raises(FormatError):  # `rx(a, )` is a syntax error: nothing is formatted
        fmt(source)
    source = source.replace("a, // inside the call\n         )", "a // inside the call\n         )")
    assert fmt(source) == expect("""
    // header
    gate g(a) q {  // opening
        /* before h */
        h q;  // after h
        // inside the call
        rx(a) q;
        // at the end of the block
    }  // after the block
    /* multi
       line */
    // end of file
    """)


def test_if_else_chains_and_comments_after_a_closing_brace():
    source = """
    gate g q {
      if (true) { h q; } // then
      else if (1 < 2) { x q; } else { }
    }
    """
    assert fmt(source) == expect("""
    gate g q {
        if (true) {
            h q;
        } else if (1 < 2) {
            // then
            x q;
        } else {}
    }
    """)


def test_long_lines_wrap_at_commas_and_before_plus_minus():
    source = """
    observable H = 0.5 * Z[0] Z[1] + 0.25 * X[0] X[1] - 0.125 * Y[0] Y[1] + 0.0625 * Z[0];
    circuit f(param alpha: float[4], param beta: float[4], gamma: float) -> float {
      qubit q[2];
      rot(alpha[0] + beta[0] * gamma, alpha[1] + beta[1] * gamma, alpha[2]) q[0];
      return expval(H);
    }
    const E = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]];
    """
    assert fmt(source, width=60) == expect("""
    observable H = 0.5 * Z[0] Z[1]
        + 0.25 * X[0] X[1]
        - 0.125 * Y[0] Y[1]
        + 0.0625 * Z[0];

    circuit f(
        param alpha: float[4],
        param beta: float[4],
        gamma: float
    ) -> float {
        qubit q[2];
        rot(
            alpha[0] + beta[0] * gamma,
            alpha[1] + beta[1] * gamma,
            alpha[2]
        ) q[0];
        return expval(H);
    }

    const E = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]];
    """)
    assert fmt("const E = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]];", width=30) == expect("""
    const E = [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 5]
    ];
    """)


def test_trailing_comments_of_consecutive_lines_line_up():
    source = "const N = 4; // a\nconst LONGER = 2;   // b\n\nconst C = 1; // c\nconst D = 1;\nconst E = 1; // e\n"
    assert fmt(source) == expect("""
    const N = 4;       // a
    const LONGER = 2;  // b

    const C = 1;  // c
    const D = 1;
    const E = 1;  // e
    """)


def test_trailing_blanks_go_even_after_a_line_comment():
    assert format_source("const A = 1;   \t\n// c  \t\n") == "const A = 1;\n// c\n"
    assert format_source("const A = 1;  /* kept  \n  exactly  */\n") == "const A = 1;  /* kept  \n  exactly  */\n"


def test_crlf_line_ends_and_empty_programs():
    assert format_source("const A = 1;\r\n// c\r\n") == "const A = 1;\n// c\n"
    assert format_source("") == ""
    assert format_source("\n\n// only a comment\n\n") == "// only a comment\n"


def test_operand_lists_modifiers_and_subscripts():
    source = """
    circuit f() -> float { qubit q[4]; bit m[2];
    ctrl @ inv @ rx(0.5) q[0:2][1],q[3]; reset q[0] , q[1]; barrier; barrier q;
    m[0][0] = measure q[1:3][0]; return expval(Z[0]); }
    """
    assert fmt(source) == expect("""
    circuit f() -> float {
        qubit q[4];
        bit m[2];
        ctrl @ inv @ rx(0.5) q[0:2][1], q[3];
        reset q[0], q[1];
        barrier;
        barrier q;
        m[0][0] = measure q[1:3][0];
        return expval(Z[0]);
    }
    """)


def test_a_long_block_is_not_a_deep_tree():
    """The grammar's lists are left-recursive: 3,000 statements must not nest 3,000 trees deep."""
    body = "".join(f"    rx({k}) q[{k % 4}];\n" for k in range(3000))
    source = f"circuit f() -> float {{\n    qubit q[4];\n{body}    return expval(Z[0]);\n}}\n"
    assert format_source(source, "t.qdl") == source
