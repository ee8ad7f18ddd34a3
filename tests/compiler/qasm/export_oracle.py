"""Test-only OpenQASM semantics, read off the reference parser's AST with numpy.

Independent of qdl's gate table: gates are the definitions of the library
file (stdgates.inc or qelib1.inc, parsed at test time) over the built-ins
`U` and `gphase` (and OpenQASM 2's `CX`), with the modifiers `ctrl`,
`negctrl`, `inv` and `pow` (principal power).  Built-in `U` follows the live
OpenQASM 3 specification, `U(θ, φ, λ) = e^{iθ/2} [[c, -e^{iλ}s], [e^{iφ}s,
e^{i(φ+λ)}c]]` with c, s of θ/2; OpenQASM 2's `U` is the special unitary
e^{-i(φ+λ)/2}[...].  In OpenQASM 2 mode the parser's `^` (xor) is read as power.

Qubits are numbered over the registers in declaration order; results are
little-endian (bit i of a basis index is qubit i).  Programs without
measurement, reset or `if` give their unitary; others give the probabilities
of the final state averaged over measurement outcomes.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import openqasm3
from openqasm3 import ast

CONSTANTS = {"pi": math.pi, "π": math.pi, "tau": 2 * math.pi, "τ": 2 * math.pi, "euler": math.e}
FUNCTIONS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
             "ln": math.log, "sqrt": math.sqrt, "arcsin": math.asin, "arccos": math.acos,
             "arctan": math.atan}


def builtin_u(theta: float, phi: float, lam: float, version: int) -> np.ndarray:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    matrix = np.array([[c, -cmath.exp(1j * lam) * s],
                       [cmath.exp(1j * phi) * s, cmath.exp(1j * (phi + lam)) * c]])
    phase = theta / 2 if version == 3 else -(phi + lam) / 2
    return cmath.exp(1j * phase) * matrix


def controlled(matrix: np.ndarray, on: bool) -> np.ndarray:
    """One more control, first (most significant), firing on |1> (`on`) or |0>."""
    d = matrix.shape[0]
    out = np.eye(2 * d, dtype=complex)
    block = slice(d, 2 * d) if on else slice(0, d)
    out[block, block] = matrix
    return out


def principal_power(matrix: np.ndarray, exponent: float) -> np.ndarray:
    values, vectors = np.linalg.eig(matrix)
    angles = np.angle(values)
    angles[angles < -math.pi + 1e-9] += 2 * math.pi  # the branch cut: -1 has angle +π
    return vectors @ np.diag(np.abs(values) ** exponent * np.exp(1j * exponent * angles)) @ np.linalg.inv(vectors)


def apply(psi: np.ndarray, matrix: np.ndarray, axes: list[int]) -> np.ndarray:
    """`matrix` (first qubit most significant) on tensor `axes` of `psi`."""
    if not axes:
        return matrix[0, 0] * psi
    k = len(axes)
    out = np.tensordot(matrix.reshape((2,) * 2 * k), psi, axes=(list(range(k, 2 * k)), axes))
    return np.moveaxis(out, list(range(k)), axes)


@dataclass
class Gate:
    params: list[str]
    qubits: list[str]
    body: list[Any]


@dataclass
class Semantics:
    """The gates of one dialect: the library's definitions plus those of the program."""

    version: int
    gates: dict[str, Gate] = field(default_factory=dict)

    @classmethod
    def with_library(cls, version: int, library_text: str) -> "Semantics":
        semantics = cls(version)
        for statement in openqasm3.parse(library_text).statements:
            semantics.define(statement)
        return semantics

    def define(self, statement: ast.QuantumGateDefinition) -> None:
        self.gates[statement.name.name] = Gate([a.name for a in statement.arguments],
                                               [q.name for q in statement.qubits], statement.body)

    def value(self, expr: Any, env: Mapping[str, Any]) -> Any:
        if isinstance(expr, (ast.IntegerLiteral, ast.FloatLiteral, ast.BooleanLiteral)):
            return expr.value
        if isinstance(expr, ast.Identifier):
            return env[expr.name] if expr.name in env else CONSTANTS[expr.name]
        if isinstance(expr, ast.UnaryExpression):
            inner = self.value(expr.expression, env)
            return -inner if expr.op.name == "-" else not inner
        if isinstance(expr, ast.Cast):
            return float(self.value(expr.argument, env))
        if isinstance(expr, ast.FunctionCall):
            return FUNCTIONS[expr.name.name](*(self.value(a, env) for a in expr.arguments))
        if isinstance(expr, ast.IndexExpression):
            return env[expr.collection.name][expr.index[0].value]
        assert isinstance(expr, ast.BinaryExpression), expr
        a, b = self.value(expr.lhs, env), self.value(expr.rhs, env)
        op = expr.op.name
        if op == "^" and self.version == 2:
            op = "**"
        return _binary(op, a, b)

    def matrix(self, call: Any, env: Mapping[str, float]) -> np.ndarray:
        """The call's matrix on its qubits, modifiers applied (first qubit most significant)."""
        params = [float(self.value(a, env)) for a in getattr(call, "arguments", [])]
        if isinstance(call, ast.QuantumPhase):
            matrix = np.array([[cmath.exp(1j * float(self.value(call.argument, env)))]])
        else:
            matrix = self.gate_matrix(call.name.name, params)
        for modifier in reversed(call.modifiers):
            matrix = self.modify(matrix, modifier, env)
        return matrix

    def modify(self, matrix: np.ndarray, modifier: ast.QuantumGateModifier, env: Mapping[str, float]) -> np.ndarray:
        kind = modifier.modifier.name
        count = 1 if modifier.argument is None else self.value(modifier.argument, env)
        if kind == "inv":
            return matrix.conj().T
        if kind == "pow":
            return principal_power(matrix, count)
        for _ in range(int(count)):
            matrix = controlled(matrix, kind == "ctrl")
        return matrix

    def gate_matrix(self, name: str, params: list[float]) -> np.ndarray:
        if name == "U":
            return builtin_u(*params, version=self.version)
        if name == "CX" and name not in self.gates:
            return controlled(np.array([[0, 1], [1, 0]], dtype=complex), True)
        gate = self.gates[name]
        env = dict(zip(gate.params, params))
        k = len(gate.qubits)
        psi = np.eye(2**k, dtype=complex).reshape((2**k,) + (2,) * k)
        for statement in gate.body:
            axes = [1 + gate.qubits.index(q.name) for q in statement.qubits]
            psi = apply(psi, self.matrix(statement, env), axes)
        return psi.reshape(2**k, 2**k).T


def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if op == "**":
        return a**b
    if op == "==":
        return a == b
    if op == "&&":
        return bool(a) and bool(b)
    raise NotImplementedError(op)


@dataclass
class Branch:
    weight: float
    psi: np.ndarray
    bits: dict[str, list[int]]


class Program:
    """One parsed program, run on given inputs."""

    def __init__(self, text: str, semantics: Semantics, inputs: Mapping[str, Any]) -> None:
        self.semantics = Semantics(semantics.version, dict(semantics.gates))
        self.inputs = dict(inputs)
        self.statements = openqasm3.parse(text).statements
        self.qubits: dict[str, int] = {}  # register -> first global index
        self.sizes: dict[str, int] = {}
        self.bit_sizes: dict[str, int] = {}
        self.env: dict[str, Any] = {}
        for statement in self.statements:
            self._declare(statement)
        self.n = sum(self.sizes.values())

    def _declare(self, statement: Any) -> None:
        if isinstance(statement, ast.QuantumGateDefinition):
            self.semantics.define(statement)
        elif isinstance(statement, ast.QubitDeclaration):
            self.qubits[statement.qubit.name] = sum(self.sizes.values())
            self.sizes[statement.qubit.name] = 1 if statement.size is None else statement.size.value
        elif isinstance(statement, ast.ClassicalDeclaration) and isinstance(statement.type, ast.BitType):
            size = statement.type.size
            self.bit_sizes[statement.identifier.name] = 1 if size is None else size.value
        elif isinstance(statement, ast.IODeclaration):
            self.env[statement.identifier.name] = self.inputs.pop(statement.identifier.name)

    @property
    def is_unitary(self) -> bool:
        dynamic = (ast.QuantumMeasurementStatement, ast.QuantumReset, ast.BranchingStatement)
        return not any(isinstance(s, dynamic) for s in self.statements)

    def unitary(self) -> np.ndarray:
        dim = 2**self.n
        branch = Branch(1.0, np.eye(dim, dtype=complex).reshape((dim,) + (2,) * self.n), {})
        (branch,) = self._run([branch])
        return branch.psi.reshape(dim, dim).T

    def probabilities(self) -> np.ndarray:
        psi = np.zeros((1,) + (2,) * self.n, dtype=complex)
        psi[(0,) * (self.n + 1)] = 1.0
        start = Branch(1.0, psi, {name: [0] * size for name, size in self.bit_sizes.items()})
        total = np.zeros(2**self.n)
        for branch in self._run([start]):
            total += branch.weight * np.abs(branch.psi.reshape(-1)) ** 2
        return total

    def _axis(self, operand: Any) -> int:
        name = operand.name.name if isinstance(operand, ast.IndexedIdentifier) else operand.name
        index = operand.indices[0][0].value if isinstance(operand, ast.IndexedIdentifier) else 0
        assert index < self.sizes[name]
        return 1 + (self.n - 1 - (self.qubits[name] + index))

    def _run(self, branches: list[Branch], statements: list[Any] | None = None) -> list[Branch]:
        for statement in self.statements if statements is None else statements:
            branches = [out for branch in branches for out in self._step(branch, statement)]
        return branches

    def _step(self, branch: Branch, statement: Any) -> list[Branch]:
        if isinstance(statement, (ast.QuantumGate, ast.QuantumPhase)):
            matrix = self.semantics.matrix(statement, self.env)
            branch.psi = apply(branch.psi, matrix, [self._axis(q) for q in statement.qubits])
            return [branch]
        if isinstance(statement, ast.QuantumMeasurementStatement):
            target = statement.target
            return self._measure(branch, self._axis(statement.measure.qubit),
                                 (target.name.name, target.indices[0][0].value))
        if isinstance(statement, ast.QuantumReset):
            return self._measure(branch, self._axis(statement.qubits), None)
        if isinstance(statement, ast.BranchingStatement):
            taken = self.semantics.value(statement.condition, self._bit_env(branch))
            return self._run([branch], statement.if_block if taken else statement.else_block)
        return [branch]

    def _bit_env(self, branch: Branch) -> dict[str, Any]:
        return _BitEnv(branch.bits)

    def _measure(self, branch: Branch, axis: int, bit: tuple[str, int] | None) -> list[Branch]:
        out = []
        for outcome in (0, 1):
            index: list[Any] = [slice(None)] * branch.psi.ndim
            index[axis] = 1 - outcome
            psi = branch.psi.copy()
            psi[tuple(index)] = 0
            p = float(np.sum(np.abs(psi) ** 2))
            if p < 1e-12:
                continue
            psi /= math.sqrt(p)
            bits = {name: list(values) for name, values in branch.bits.items()}
            if bit is None and outcome:  # reset: flip |1> back to |0>
                psi = np.flip(psi, axis=axis)
            elif bit is not None:
                bits[bit[0]][bit[1]] = outcome
            out.append(Branch(branch.weight * p, psi, bits))
        return out


class _BitEnv(dict):
    """Bit registers: `c` reads the register as an integer (c[0] least significant), `c[i]` one bit."""

    def __init__(self, bits: Mapping[str, list[int]]) -> None:
        super().__init__({name: _Register(values) for name, values in bits.items()})


class _Register(int):
    def __new__(cls, values: list[int]) -> "_Register":
        register = super().__new__(cls, sum(b << i for i, b in enumerate(values)))
        register.values = values
        return register

    def __getitem__(self, index: int) -> int:
        return self.values[index]
