"""Read back the OpenPulse subset `export_openpulse` writes into a JSON pulse schedule (§8a).

Parses with the reference parser (PyPI `openpulse`), then replays the `cal`
block on per-frame clocks: `delay` statements without a `@qdl` annotation are
the gaps the exporter inserted, annotated ones are the schedule's own delays.
Expressions come back as the same trees (see `expr_json` for the one
normalisation).  Conditional blocks come back from the exporter's
`if (...) { ... } else { delay ... }`.  Anything outside the subset raises
`PulseExportError`.
"""

from __future__ import annotations

import json
from typing import Any

from qdl.compiler.pulse.expr_json import OPS, PulseExportError

# shape -> (OpenPulse argument types, JSON names in that order); types only, as the parser requires (§2.3)
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "constant": (("complex[float[64]]", "duration"), ("amp", "duration")),
    "gaussian": (("complex[float[64]]", "duration", "duration"), ("amp", "duration", "sigma")),
    "drag": (("complex[float[64]]", "duration", "duration", "float[64]"), ("amp", "duration", "sigma", "beta")),
    "gaussian_square": (("complex[float[64]]", "duration", "duration", "duration"),
                        ("amp", "duration", "width", "sigma")),
}
PARAM_TYPES = {"angle": "angle[32]", "real": "float[64]", "int": "int[64]"}
CAPTURE_KERNEL = "capture_v2"  # (frame, kernel waveform) -> bit, as in note §2.4
CAPTURE_DURATION = "capture_bit"  # (frame, duration) -> bit, for acquires without a kernel
REGISTER = "c"
# instruction keys that the OpenPulse statement itself carries (the rest go in `@qdl` annotations)
INSTRUCTION_KEYS = ("t0", "op", "frame", "frames", "waveform", "duration", "phase", "frequency",
                    "memory_slot", "kernel")
FRAME_CALLS = ("shift_phase", "set_phase", "shift_frequency", "set_frequency")
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


def _annotation(node: Any) -> dict | None:
    """The JSON object of a `@qdl {...}` annotation on `node`, None without one."""
    for note in getattr(node, "annotations", None) or ():
        if note.keyword == "qdl":
            try:
                value = json.loads(note.command or "{}")
            except json.JSONDecodeError as err:
                raise PulseExportError(f"line {note.span.start_line}: `@qdl` annotation is not JSON ({err})") from None
            if not isinstance(value, dict):
                raise PulseExportError(f"line {note.span.start_line}: `@qdl` annotation must be a JSON object")
            return value
    return None


def parse_openpulse(text: str) -> tuple[object, object]:
    """(program, the `openpulse.ast` module) of `text` with the reference parser; `PulseExportError` if it cannot."""
    try:
        import openpulse
        from openpulse import ast
    except ImportError:  # pragma: no cover - depends on the environment
        raise PulseExportError("reading OpenPulse needs the reference parser: pip install 'openpulse==1.0.1'") from None
    try:
        return openpulse.parse(text), ast
    except Exception as err:  # the parser raises several unrelated types
        raise PulseExportError(f"not valid OpenPulse: {err}") from None


def import_openpulse(text: str) -> dict:
    """The §8a schedule dict described by OpenPulse `text` written by `export_openpulse`."""
    program, ast = parse_openpulse(text)
    doc: dict = {"parameters": []}
    reader = _CalReader(ast)
    for stmt in program.statements:
        if isinstance(stmt, ast.ClassicalDeclaration) and stmt.identifier.name == REGISTER:
            reader.register_size = stmt.type.size.value  # `c == v` reads the whole register
        elif isinstance(stmt, ast.IODeclaration):
            kind = {v: k for k, v in PARAM_TYPES.items()}[_type_text(stmt.type, ast)]
            doc["parameters"].append({"name": stmt.identifier.name, "kind": kind, **(_annotation(stmt) or {})})
        elif isinstance(stmt, ast.CalibrationStatement):
            doc.update(_annotation(stmt) or {})
            for inner in stmt.body:
                reader.statement(inner)
    return {**doc, **reader.result()}


def _type_text(node: Any, ast: Any) -> str:
    if isinstance(node, ast.AngleType):
        return f"angle[{node.size.value}]"
    if isinstance(node, ast.FloatType):
        return f"float[{node.size.value}]"
    if isinstance(node, ast.IntType):
        return f"int[{node.size.value}]"
    raise PulseExportError(f"unsupported input type {type(node).__name__}")


class _CalReader:
    """Replays `cal` statements on per-frame clocks into ports, frames, waveforms and instructions."""

    def __init__(self, ast: Any) -> None:
        self.ast, self.ports, self.frames, self.waveforms = ast, [], [], {}
        self.instructions: list[dict] = []
        self.clock: dict[str, int] = {}
        self.register_size = 0

    def result(self) -> dict:
        return {"ports": self.ports, "frames": self.frames, "waveforms": self.waveforms,
                "instructions": self.instructions}

    def statement(self, stmt: Any) -> None:
        ast, extra = self.ast, _annotation(stmt)
        if isinstance(stmt, ast.ClassicalDeclaration):
            self._declaration(stmt, extra or {})
        elif isinstance(stmt, ast.ExternDeclaration):
            return
        elif isinstance(stmt, ast.DelayInstruction):
            frame, length = stmt.qubits[0].name, _dt(stmt.duration, ast)
            if extra is None:  # a gap the exporter inserted, not an instruction
                self.clock[frame] += length
            else:
                self._emit({"op": "delay", "frame": frame, "duration": length}, [frame], length, extra)
        elif isinstance(stmt, ast.QuantumBarrier):
            names = [q.name for q in stmt.qubits]
            latest = max(self.clock[n] for n in names)
            self.clock.update({n: latest for n in names})
            self._emit({"op": "barrier", "frames": names}, names, 0, extra or {})
        elif isinstance(stmt, ast.ExpressionStatement) and isinstance(stmt.expression, ast.FunctionCall):
            self._call(stmt.expression, extra or {})
        elif isinstance(stmt, ast.ClassicalAssignment) and isinstance(stmt.rvalue, ast.FunctionCall):
            self._capture(stmt, extra or {})
        elif isinstance(stmt, ast.BranchingStatement):
            self._conditional(stmt, extra or {})
        else:
            raise PulseExportError(f"unsupported OpenPulse statement {type(stmt).__name__} at line "
                                   f"{stmt.span.start_line}")

    def _conditional(self, stmt: Any, extra: dict) -> None:
        """`if (cond) { body } else { delay[d] f; ... }` as written by the exporter: a conditional block."""
        start, outer = dict(self.clock), self.instructions
        self.instructions = []
        for inner in stmt.if_block:
            self.statement(inner)
        body, self.instructions = self.instructions, outer
        idle = [(s.qubits[0].name, _dt(s.duration, self.ast)) for s in stmt.else_block
                if isinstance(s, self.ast.DelayInstruction)]
        if len(idle) != len(stmt.else_block) or len({d for _, d in idle}) > 1:
            raise PulseExportError(f"line {stmt.span.start_line}: the `else` of a conditional block idles its "
                                   "frames for one duration (`delay[<n>dt] frame;` only)")
        frames = [f for f, _ in idle] or list(dict.fromkeys(i["frame"] for i in body))
        length = idle[0][1] if idle else 0
        t0 = start[frames[0]] if frames else 0
        self.clock.update({f: t0 + length for f in frames})
        self.instructions.append({"t0": t0, "op": "conditional", "duration": length, "frames": frames,
                                  "condition": self._condition(stmt.condition), "body": body, **extra})

    def _condition(self, node: Any) -> dict:
        """{bits, value} of `c[k]`, `!c[k]`, `c == v` or `c[i] == x && c[j] == y`."""
        ast = self.ast
        if isinstance(node, ast.BinaryExpression) and node.op.name == "==" and isinstance(node.lhs, ast.Identifier):
            return {"bits": list(range(self.register_size)), "value": node.rhs.value}
        terms = []
        while isinstance(node, ast.BinaryExpression) and node.op.name == "&&":
            terms.insert(0, node.rhs)
            node = node.lhs
        out: dict = {"bits": [], "value": 0}
        for k, term in enumerate([node] + terms):
            if isinstance(term, ast.UnaryExpression) and term.op.name == "!":
                index, bit = term.expression, 0
            elif isinstance(term, ast.BinaryExpression) and term.op.name == "==":
                index, bit = term.lhs, term.rhs.value
            else:
                index, bit = term, 1
            if not isinstance(index, ast.IndexExpression):
                raise PulseExportError(f"line {term.span.start_line}: unsupported condition; expected "
                                       f"`{REGISTER}[k]`, `!{REGISTER}[k]`, `{REGISTER} == v` or a `&&` of "
                                       f"`{REGISTER}[k] == 0/1`")
            out["bits"].append(index.index[0].value)
            out["value"] |= bit << k
        return out

    def _emit(self, inst: dict, frames: list[str], length: int, extra: dict) -> None:
        t0 = self.clock[frames[0]]
        self.instructions.append({"t0": t0, **inst, **extra})
        for name in frames:
            self.clock[name] = t0 + length

    def _declaration(self, stmt: Any, extra: dict) -> None:
        ast, name = self.ast, stmt.identifier.name
        if isinstance(stmt.type, ast.PortType):
            self.ports.append({"name": name, **extra})
        elif isinstance(stmt.type, ast.FrameType):
            port, freq, phase = stmt.init_expression.arguments
            self.frames.append({"name": name, "port": port.name, "frequency": to_tree(freq, ast),
                                "phase": to_tree(phase, ast), **extra})
            self.clock[name] = 0
        elif isinstance(stmt.type, ast.WaveformType):
            self.waveforms[name] = {**self._waveform(stmt.init_expression), **extra}
        else:
            raise PulseExportError(f"unsupported declaration of `{name}` at line {stmt.span.start_line}")

    def _waveform(self, init: Any) -> dict:
        ast = self.ast
        if isinstance(init, ast.ArrayLiteral):
            values = [complex(_constant(v, ast)) for v in init.values]
            return {"shape": "samples", "duration": len(values), "samples": [[v.real, v.imag] for v in values]}
        shape = init.name.name
        _, names = SIGNATURES[shape]
        args = init.arguments
        params = dict(zip(("amp", "angle"), _amplitude(args[0], ast)))
        for key, arg in zip(names[2:], args[2:]):
            params[key] = _dt(arg, ast) if isinstance(arg, ast.DurationLiteral) else to_tree(arg, ast)
        return {"shape": shape, "duration": _dt(args[1], ast), "params": params}

    def _call(self, call: Any, extra: dict) -> None:
        name, args = call.name.name, call.arguments
        frame = args[0].name
        if name == "play":
            length = self.waveforms[args[1].name]["duration"]
            self._emit({"op": "play", "frame": frame, "waveform": args[1].name}, [frame], length, extra)
        elif name in FRAME_CALLS:
            key = "phase" if name.endswith("phase") else "frequency"
            self._emit({"op": name, "frame": frame, key: to_tree(args[1], self.ast)}, [frame], 0, extra)
        else:
            raise PulseExportError(f"unsupported call `{name}` at line {call.span.start_line}")

    def _capture(self, stmt: Any, extra: dict) -> None:
        call, ast = stmt.rvalue, self.ast
        frame, second = call.arguments[0].name, call.arguments[1]
        slot = stmt.lvalue.indices[0][0].value
        inst: dict = {"op": "acquire", "frame": frame}
        if call.name.name == CAPTURE_KERNEL:
            length = self.waveforms[second.name]["duration"]
            inst.update(duration=length, memory_slot=slot, kernel=second.name)
        else:
            length = _dt(second, ast)
            inst.update(duration=length, memory_slot=slot)
        self._emit(inst, [frame], length, extra)


def _dt(node: Any, ast: Any) -> int | float:
    if not (isinstance(node, ast.DurationLiteral) and node.unit.name == "dt"):
        raise PulseExportError(f"expected a duration in dt at line {node.span.start_line}")
    return int(node.value) if float(node.value).is_integer() else float(node.value)


def _amplitude(node: Any, ast: Any) -> tuple[Any, Any]:
    """(amp, angle) from `amp + 0.0im` or `amp * exp(angle * 1.0im)`."""
    if isinstance(node, ast.BinaryExpression) and isinstance(node.rhs, ast.ImaginaryLiteral):
        return to_tree(node.lhs, ast), float(node.rhs.value)
    if isinstance(node, ast.BinaryExpression) and isinstance(node.rhs, ast.FunctionCall):
        inner = node.rhs.arguments[0]
        return to_tree(node.lhs, ast), to_tree(inner.lhs, ast)
    raise PulseExportError(f"unsupported waveform amplitude at line {node.span.start_line}")


def to_tree(node: Any, ast: Any) -> Any:
    """An OpenPulse expression as a §8a value (number or expression tree)."""
    if isinstance(node, (ast.IntegerLiteral, ast.FloatLiteral)):
        return node.value
    if isinstance(node, ast.Identifier):
        return {"param": node.name}
    if isinstance(node, ast.IndexExpression) and isinstance(node.collection, ast.Identifier) \
            and isinstance(node.index, list) and all(isinstance(i, ast.IntegerLiteral) for i in node.index):
        return {"param": f"{node.collection.name}[{','.join(str(i.value) for i in node.index)}]"}  # `w[0, 1]`
    if isinstance(node, ast.UnaryExpression) and node.op.name == "-":
        inner = to_tree(node.expression, ast)
        return -inner if isinstance(node.expression, (ast.IntegerLiteral, ast.FloatLiteral)) else \
            {"op": "neg", "args": [inner]}
    if isinstance(node, ast.BinaryExpression) and node.op.name in BINARY:
        return {"op": BINARY[node.op.name], "args": [to_tree(node.lhs, ast), to_tree(node.rhs, ast)]}
    if isinstance(node, ast.FunctionCall) and node.name.name in OPS:
        return {"op": node.name.name, "args": [to_tree(a, ast) for a in node.arguments]}
    raise PulseExportError(f"unsupported expression {type(node).__name__} at line {node.span.start_line}")


def _constant(node: Any, ast: Any) -> complex:
    """A constant complex sample such as `0.1 - 0.2im`."""
    if isinstance(node, (ast.IntegerLiteral, ast.FloatLiteral)):
        return node.value
    if isinstance(node, ast.ImaginaryLiteral):
        return complex(0.0, node.value)
    if isinstance(node, ast.UnaryExpression):
        return -_constant(node.expression, ast)
    if isinstance(node, ast.BinaryExpression) and node.op.name in ("+", "-"):
        lhs, rhs = _constant(node.lhs, ast), _constant(node.rhs, ast)
        return lhs + rhs if node.op.name == "+" else lhs - rhs
    raise PulseExportError(f"unsupported waveform sample at line {node.span.start_line}")
