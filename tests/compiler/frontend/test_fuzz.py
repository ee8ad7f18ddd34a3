"""Fuzzing the front end: whatever the input, `compile_source` returns diagnostics, never raises.

Four generators: random text and bytes; random sequences of the language's own
tokens; small mutations (delete, duplicate, swap, insert characters or tokens)
of realistic programs (the diagnostics corpus, the stdlib, `examples/`); and
well-formed programs with random expressions, operands and modifiers, which get
past the parser and exercise the elaborator.  For every
input: no exception escapes, no diagnostic is an internal error, every label's
span lies inside its file, the output renders in both styles, and a result
without errors has a module.  Each input also runs under a time limit, since a
compiler that hangs is as broken as one that crashes.

Crashes found so far are pinned as `xfail(strict=True)` regression tests in
`test_crash_regressions.py`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.frontend.parser import make_parser

from frontend_invariants import EXAMPLE, check_compiles_cleanly, memory_cap
from golden_corpus import GOLDEN_DIR, read_text

REPO = Path(__file__).resolve().parents[3]
# By default a fixed, quick sample (the same inputs every run, so CI is not flaky);
# QDL_FUZZ_EXAMPLES=20000 turns it into a random fuzzing campaign.
CAMPAIGN = "QDL_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(max_examples=int(os.environ.get("QDL_FUZZ_EXAMPLES", "250")), deadline=None,
                derandomize=not CAMPAIGN, database=None, suppress_health_check=list(HealthCheck))



# ---------------------------------------------------------------- seeds and tokens


def seed_programs() -> list[str]:
    """Realistic programs to mutate: the example above, the corpus, the stdlib, examples/."""
    paths = sorted(GOLDEN_DIR.rglob("*.qdl")) + sorted((REPO / "stdlib").rglob("*.qdl")) \
        + sorted((REPO / "examples").rglob("*.qdl"))
    return [EXAMPLE] + [read_text(p) for p in paths]


SEEDS = seed_programs()
# Stand-ins for the terminals defined by a regular expression.
PATTERN_SAMPLES = {
    "NAME": ["q", "x", "w", "theta", "h", "cx", "rx", "rot", "layer", "N", "f", "c", "i", "expval",
             "probs", "sin", "pi", "anc", "measure"],
    "INT": ["0", "1", "2", "3", "10", "007"], "FLOAT": ["0.5", "1e-3", ".25", "3.14", "2E5"],
    "STRING": ['"std/templates.qdl"', '"lib.qdl"', '""'], "PAULI": ["X", "Y", "Z", "I"],
    "TYPE_NAME": ["float", "int", "bool", "complex"], "CMP_OP": ["==", "!=", "<", "<=", ">", ">="],
    "LINE_COMMENT": ["// note\n"], "BLOCK_COMMENT": ["/* c */"], "__IGNORE_2": ["\n"],
}


def language_tokens() -> list[str]:
    """Every keyword and punctuation of the grammar, plus samples of the regex terminals."""
    tokens: list[str] = []
    for terminal in make_parser(cache=False).terminals:
        if terminal.pattern.type == "str":
            tokens.append(terminal.pattern.value)
        else:
            tokens.extend(PATTERN_SAMPLES.get(terminal.name, ["?"]))
    return sorted(set(tokens)) + ['"', "/*", "#", "'", "é", "\t", "\r\n"]


TOKENS = language_tokens()
TOKEN_RE = re.compile(r"\s+|//[^\n]*|[A-Za-z_]\w*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\.|->|\*\*|&&|\|\||[=!<>]=|.",
                      re.DOTALL)


def _tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


# ---------------------------------------------------------------- mutations


@st.composite
def mutated_program(draw, level: str) -> str:
    """A seed program with 1-4 random edits at the character or token level."""
    seed = draw(st.sampled_from(SEEDS))
    units = list(seed) if level == "char" else _tokenize(seed)
    inserts = st.sampled_from(TOKENS) if level == "token" else \
        st.sampled_from(list("{}[]();,=.@-+*/%\"'\n ") + ["0", "9", "q", "X"])
    for _ in range(draw(st.integers(1, 4))):
        if not units:
            break
        i = draw(st.integers(0, len(units) - 1))
        j = min(len(units), i + draw(st.integers(1, 3)))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert"]))
        if op == "delete":
            del units[i:j]
        elif op == "duplicate":
            units[i:i] = units[i:j]
        elif op == "swap":
            k = draw(st.integers(0, len(units) - 1))
            units[i], units[k] = units[k], units[i]
        else:
            units.insert(i, draw(inserts))
    return "".join(units)


def token_soup() -> st.SearchStrategy[str]:
    separators = st.sampled_from([" ", " ", " ", "\n", ""])
    pair = st.tuples(st.sampled_from(TOKENS), separators).map("".join)
    return st.lists(pair, max_size=40).map("".join)


# ---------------------------------------------------------------- well-formed programs

GATE_NAMES = ["h", "x", "rx", "ry", "rz", "cx", "cz", "crx", "rzz", "rot", "u3", "swap", "ccx", "gphase",
              "phase", "sx", "t", "s", "layer", "bell", "nosuch"]
MODIFIERS = ["", "", "", "inv @ ", "ctrl @ ", "negctrl @ ", "pow(2) @ ", "pow(-1) @ ", "pow(0.5) @ ",
             "ctrl(2) @ ", "inv @ ctrl @ "]
NUMBERS = ["0", "1", "2", "3", "0.5", "-1", "0.0", "7", "1e-3"]
# Values at the edges of float and int (overflow, infinity, denormals) and booleans in arithmetic.
EXTREME_NUMBERS = ["1e308", "1e-320", "2 ** 64", "10 ** 30", "1e400", "2 ** 1024", "10 ** 10 ** 3", "true"]
NAMES = ["pi", "t", "w[0]", "w[1]", "n", "K", "A[1]", "i", "len(q)", "Z[0]", "X[1] Y[1]", "c[0]", "q[0]"]


def _expressions(numbers: list[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "**", "==", "<", "&&"]), inner)
        call = st.tuples(st.sampled_from(["sin", "sqrt", "log", "exp", "arccos", "len", "floor"]), inner)
        return st.one_of(binary.map(lambda b: f"({b[0]} {b[1]} {b[2]})"), inner.map(lambda e: f"-{e}"),
                         call.map(lambda c: f"{c[0]}({c[1]})"), st.lists(inner, min_size=1, max_size=3)
                         .map(lambda xs: "[" + ", ".join(xs) + "]"))
    return st.recursive(st.sampled_from(numbers + NAMES), extend, max_leaves=6)




@st.composite
def _statement(draw, expr: st.SearchStrategy[str], depth: int = 0) -> str:
    kind = draw(st.sampled_from(["gate", "gate", "gate", "for", "if", "measure", "reset", "const"]
                                if depth < 2 else ["gate", "measure", "reset"]))
    if kind == "for":
        body = " ".join(draw(st.lists(_statement(expr, depth + 1), max_size=3)))
        return f"for i in {draw(expr)}..{draw(expr)} {{ {body} }}"
    if kind == "if":
        body = " ".join(draw(st.lists(_statement(expr, depth + 1), max_size=2)))
        return f"if ({draw(expr)}) {{ {body} }} else {{ x q[0]; }}"
    if kind == "measure":
        return f"c[{draw(st.sampled_from(['0', '1', 'i']))}] = measure q[{draw(expr)}];"
    if kind == "reset":
        return "reset q[1];"
    if kind == "const":
        return f"const L{draw(st.integers(0, 2))} = {draw(expr)};"
    args = draw(st.lists(expr, max_size=3))
    operands = draw(st.lists(st.sampled_from(["q[0]", "q[1]", "q[2]", "q", "q[0:2]", "q[i]", "c[0]"]),
                             min_size=1, max_size=3))
    angles = f"({', '.join(args)})" if args else ""
    return f"{draw(st.sampled_from(MODIFIERS))}{draw(st.sampled_from(GATE_NAMES))}{angles} {', '.join(operands)};"


@st.composite
def well_formed_program(draw, extreme: bool = False) -> str:
    """A syntactically valid program whose expressions, operands and modifiers are random."""
    expr = _expressions(NUMBERS + EXTREME_NUMBERS if extreme else NUMBERS)
    size = draw(st.sampled_from(["3", "3", "n", "K", "0", "-1", "1.5"] + (["2 ** 70"] if extreme else [])))
    result = draw(st.sampled_from(["expval(%s)", "var(%s)", "probs(q)", "sample(q)", "state()",
                                   "(expval(%s), probs(q[0]))"]))
    body = "\n    ".join(draw(st.lists(_statement(expr), min_size=1, max_size=6)))
    return f"""const K = {draw(expr)};
const A = [{draw(expr)}, {draw(expr)}];
observable H = {draw(expr)};
gate layer(w: float[m]) r[m] {{ for j in 0..m {{ ry(w[j]) r[j]; }} }}
gate bell(a) u, v {{ rx(a) u; cx u, v; }}
circuit f(param t: float, w: float[{draw(st.sampled_from(["2", "K", "3"]))}], n: int) -> float {{
    qubit q[{size}];
    bit c[2];
    {body}
    return {result.replace("%s", draw(st.sampled_from(["H", "Z[0]", "t * Z[0]", draw(expr)])))};
}}
"""


# ---------------------------------------------------------------- the tests


@pytest.fixture(autouse=True, scope="module")
def _memory_cap() -> Iterator[None]:
    with memory_cap():
        yield


@pytest.fixture(scope="module")
def empty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where random programs' imports resolve: nothing but the stdlib is found."""
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes(data: bytes, empty_dir: Path) -> None:
    check_compiles_cleanly(data.decode("utf-8", errors="replace"), empty_dir)


@FUZZ
@given(text=st.text(max_size=200))
def test_random_text(text: str, empty_dir: Path) -> None:
    check_compiles_cleanly(text, empty_dir)


@FUZZ
@given(text=token_soup())
def test_random_token_sequences(text: str, empty_dir: Path) -> None:
    check_compiles_cleanly(text, empty_dir)


@FUZZ
@given(text=mutated_program("char"))
def test_character_mutations_of_programs(text: str) -> None:
    check_compiles_cleanly(text, GOLDEN_DIR)


@FUZZ
@given(text=mutated_program("token"))
def test_token_mutations_of_programs(text: str) -> None:
    check_compiles_cleanly(text, GOLDEN_DIR)


@FUZZ
@given(text=well_formed_program())
def test_well_formed_programs(text: str, empty_dir: Path) -> None:
    check_compiles_cleanly(text, empty_dir)


@FUZZ
@given(text=well_formed_program(extreme=True))
def test_well_formed_programs_with_edge_values(text: str, empty_dir: Path) -> None:
    """Huge ints, infinities and bools in arithmetic (what test_crash_regressions.py pins down)."""
    check_compiles_cleanly(text, empty_dir)


def test_seeds_are_realistic() -> None:
    """The mutation seeds include the example program, which compiles cleanly."""
    assert check_compiles_cleanly(EXAMPLE, GOLDEN_DIR).ok
    assert len(SEEDS) > 30
