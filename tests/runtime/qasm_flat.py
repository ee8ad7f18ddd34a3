"""Test-only reader for the simplest flat OpenQASM 2 files of the reference corpus.

Not the real importer: it handles `include "qelib1.inc"`, qreg/creg, gate
applications with qelib1 names, constant parameters with `pi` arithmetic and
register broadcast.  `measure` and `barrier` are dropped (the corpus state
references are for the program without them).  Anything else (`gate`
definitions, `if`, `reset`, `opaque`, unknown gates) raises `Unsupported`,
and the caller skips the file.

qelib1 gates are read with Qiskit's meaning (the corpus references come from
Qiskit): u/U/u3 = U3Gate, cu1/cp = controlled phase, cu3 = controlled U3,
cu(θ,φ,λ,γ) = controlled e^{iγ} U3, csx = controlled SX, c3x/c4x = multi-
controlled X.  Results agree with qelib1.inc up to a global phase.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from pathlib import Path

from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, GateOp, Register, State


class Unsupported(Exception):
    """The file uses a feature this small reader does not handle."""


# qelib1 name -> (our gate, number of leading control qubits)
GATE_MAP: dict[str, tuple[str, int]] = {
    **{name: (name, 0) for name in (
        "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz",
        "u1", "u2", "u3", "cx", "cy", "cz", "ch", "swap", "crx", "cry", "crz", "rxx", "rzz",
        "ccx", "cswap",
    )},
    "U": ("u3", 0), "u": ("u3", 0), "p": ("phase", 0), "CX": ("cx", 0), "cu1": ("cphase", 0),
    "cp": ("cphase", 0), "cu3": ("u3", 1), "cu": ("u3", 1), "csx": ("sx", 1), "c3x": ("x", 3),
    "c4x": ("x", 4),
}

_SKIPPED = ("measure", "barrier", "OPENQASM", "include", "creg")
_UNSUPPORTED = ("gate", "if", "reset", "opaque")
_STATEMENT = re.compile(r"^(\w+)\s*(?:\((.*)\))?\s+(.+)$", re.S)
_OPERAND = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


def load(path: Path) -> Circuit:
    """The file's circuit, returning `state`; raises `Unsupported` for other files."""
    text = re.sub(r"//[^\n]*", "", path.read_text())
    registers: dict[str, Register] = {}
    ops: list[GateOp] = []
    for statement in filter(None, (s.strip() for s in text.split(";"))):
        word = statement.split()[0].split("(")[0]
        if word in _UNSUPPORTED or "{" in statement:
            raise Unsupported(word)
        if word in _SKIPPED:
            continue
        if word == "qreg":
            _declare(registers, statement)
        else:
            ops.extend(_gate(statement, registers))
    num_qubits = sum(r.size for r in registers.values())
    return Circuit(path.stem, (), num_qubits, tuple(ops), (State(),),
                   qubit_registers=tuple(registers.values()))


def _declare(registers: dict[str, Register], statement: str) -> None:
    name, size = re.fullmatch(r"qreg\s+(\w+)\s*\[\s*(\d+)\s*\]", statement).groups()  # type: ignore[union-attr]
    start = sum(r.size for r in registers.values())
    registers[name] = Register(name, start, int(size))


def _gate(statement: str, registers: dict[str, Register]) -> list[GateOp]:
    match = _STATEMENT.match(statement)
    if match is None or match.group(1) not in GATE_MAP:
        raise Unsupported(statement.split()[0])
    name, params_text, operands_text = match.groups()
    params = [_evaluate(p) for p in params_text.split(",")] if params_text else []
    operands = [_qubits(o.strip(), registers) for o in operands_text.split(",")]
    width = max(len(o) for o in operands)  # register broadcast: whole registers zip together
    return [op for i in range(width)
            for op in _ops(name, params, [o[i] if len(o) > 1 else o[0] for o in operands])]


def _ops(name: str, params: list[float], qubits: list[int]) -> list[GateOp]:
    gate, count = GATE_MAP[name]
    controls = {"controls": tuple(qubits[:count]), "control_values": (True,) * count}
    if name == "cu":  # Qiskit CUGate(θ, φ, λ, γ): controlled e^{iγ} U3(θ, φ, λ)
        *angles, gamma = params
        return [GateOp("gphase", (), (Const(gamma),), **controls),
                GateOp(gate, tuple(qubits[count:]), tuple(map(Const, angles)), **controls)]
    return [GateOp(gate, tuple(qubits[count:]), tuple(map(Const, params)), **controls)]


def _qubits(operand: str, registers: dict[str, Register]) -> list[int]:
    match = _OPERAND.match(operand.replace(" ", ""))
    if match is None or match.group(1) not in registers:
        raise Unsupported(operand)
    register = registers[match.group(1)]
    if match.group(2) is None:
        return list(range(register.start, register.start + register.size))
    return [register.start + int(match.group(2))]


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_FUNCTIONS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp,
              "ln": math.log, "sqrt": math.sqrt}


def _evaluate(text: str) -> float:
    """A constant OpenQASM 2 expression: numbers, pi, + - * / ^, unary minus, functions."""
    return _eval_node(ast.parse(text.strip().replace("^", "**"), mode="eval").body)


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id == "pi":
        return math.pi
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval_node(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval_node(node.left), _eval_node(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        return _FUNCTIONS[node.func.id](_eval_node(node.args[0]))
    raise Unsupported(ast.dump(node))
