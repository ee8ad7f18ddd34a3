"""Expand a gate-level OpenQASM 3 + OpenPulse program (`defcal`s + gate calls) into a timed schedule (§8a dict).

    from qdl.compiler.pulse.openpulse_defcal_import import expand_openpulse_defcal
    doc = expand_openpulse_defcal(text, method="alap")   # ports, frames, waveforms, timed instructions

Reads the subset `export_openpulse_defcal` writes, with the reference parser
(PyPI `openpulse`).  The `cal { }` declarations are read as the flat importer
reads them.  Each gate call (`rz(theta) $0;`, `ecr $1, $0;`,
`c[0] = measure $0;`) is resolved to the `defcal` with the same name and
physical qubits, its angle arguments substituted (as expression trees) and
its body replayed on per-frame clocks from 0; the defcal's duration is the
latest clock.  OpenPulse puts an implicit barrier on all frames a defcal
uses, so a call is one block over those frames: `asap` starts it when all of
them are free, `alap` schedules the reversed program ASAP and mirrors it.
`barrier $a, $b;` aligns every frame on the qubits' ports or tracking them
(the `@qdl` notes of ports and frames say which).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse_import import (
    CAPTURE_KERNEL, FRAME_CALLS, _annotation, _CalReader, _dt, to_tree,
)

__all__ = ["expand_openpulse_defcal"]
METHODS = ("asap", "alap")


@dataclass(frozen=True)
class _Block:
    """One gate call: instructions relative to its start, the frames it uses and its duration."""

    instructions: tuple[dict, ...]
    frames: tuple[str, ...]
    duration: int


def expand_openpulse_defcal(text: str, method: str = "asap") -> dict:
    """The schedule a gate-level defcal program means, gate calls placed by `method` ("asap" or "alap")."""
    if method not in METHODS:
        raise ValueError(f"unknown scheduling method {method!r}; choose one of {', '.join(METHODS)}")
    try:
        import openpulse
        from openpulse import ast
    except ImportError:  # pragma: no cover - depends on the environment
        raise PulseExportError("reading OpenPulse needs the reference parser: pip install 'openpulse==1.0.1'") from None
    try:
        program = openpulse.parse(text)
    except Exception as err:  # the parser raises several unrelated types
        raise PulseExportError(f"not valid OpenPulse: {err}") from None
    reader, defcals, blocks, renamed = _CalReader(ast), {}, [], {}
    for stmt in program.statements:
        if isinstance(stmt, ast.IODeclaration) and "argument" in (_annotation(stmt) or {}):
            renamed[stmt.identifier.name] = _annotation(stmt)["argument"]  # `x_arg` stands for the argument `x`
        elif isinstance(stmt, ast.CalibrationStatement):
            for inner in stmt.body:
                reader.statement(inner)
        elif isinstance(stmt, ast.CalibrationDefinition):
            defcals[(stmt.name.name, tuple(q.name for q in stmt.qubits))] = stmt
        elif isinstance(stmt, (ast.QuantumGate, ast.QuantumMeasurementStatement, ast.QuantumBarrier)):
            blocks.append(_Expander(ast, reader, defcals, renamed).call(stmt))
    starts = _place(blocks, method)
    timed = [{**inst, "t0": inst["t0"] + start} for block, start in zip(blocks, starts) for inst in block.instructions]
    return {**reader.result(), "instructions": sorted(timed, key=lambda i: i["t0"])}


def _place(blocks: list[_Block], method: str) -> list[int]:
    """Start times: each block when all its frames are free (ALAP: the mirror of the reversed program)."""
    order = blocks if method == "asap" else blocks[::-1]
    clock: dict[str, int] = {}
    starts = []
    for block in order:
        start = max((clock.get(f, 0) for f in block.frames), default=0)
        clock.update({f: start + block.duration for f in block.frames})
        starts.append(start)
    if method == "asap":
        return starts
    total = max(clock.values(), default=0)
    return [total - start - block.duration for block, start in zip(order, starts)][::-1]


class _Expander:
    """Turns one gate-level statement into a `_Block` through the program's defcals."""

    def __init__(self, ast: Any, reader: _CalReader, defcals: dict, renamed: dict) -> None:
        self.ast, self.reader, self.defcals, self.renamed = ast, reader, defcals, renamed

    def call(self, stmt: Any) -> _Block:
        ast = self.ast
        if isinstance(stmt, ast.QuantumBarrier):
            frames = self._qubit_frames([q.name for q in stmt.qubits])
            return _Block(({"t0": 0, "op": "barrier", "frames": frames},), tuple(frames), 0)
        if isinstance(stmt, ast.QuantumMeasurementStatement):
            qubits, args, name = [stmt.measure.qubit.name], [], "measure"
            slot = stmt.target.indices[0][0].value if stmt.target is not None else None
            measured = {"qubit": int(qubits[0].lstrip("$")), "memory_slot": slot}
        else:
            qubits, args, name, measured = [q.name for q in stmt.qubits], stmt.arguments, stmt.name.name, {}
        defcal = self.defcals.get((name, tuple(qubits)))
        if defcal is None:
            raise PulseExportError(f"line {stmt.span.start_line}: no defcal for `{name}` on {', '.join(qubits)}")
        env = {a.name.name: _substitute(to_tree(v, ast), {}, self.renamed) for a, v in zip(defcal.arguments, args)}
        return self._body(defcal.body, env, measured)

    def _qubit_frames(self, qubits: list[str]) -> list[str]:
        """The frames on the qubits' ports or tracking them (R(q) of the schedule's layout)."""
        wanted = {int(q.lstrip("$")) for q in qubits}
        on_port = {p["name"] for p in self.reader.ports if wanted & set(p.get("qubits", ()))}
        return [f["name"] for f in self.reader.frames if f["port"] in on_port or f.get("tracks_qubit") in wanted]

    def _body(self, body: list, env: dict, measured: dict) -> _Block:
        ast = self.ast
        clock: dict[str, int] = {}
        out: list[dict] = []

        def emit(inst: dict, frame: str, length: int) -> None:
            t0 = clock.setdefault(frame, 0)
            out.append({"t0": t0, **inst})
            clock[frame] = t0 + length

        for stmt in body:
            if isinstance(stmt, ast.DelayInstruction):
                frame, length = stmt.qubits[0].name, _dt(stmt.duration, ast)
                if _annotation(stmt) is None:  # a clock move, not an instruction
                    clock[frame] = clock.get(frame, 0) + length
                else:
                    emit({"op": "delay", "frame": frame, "duration": length}, frame, length)
            elif isinstance(stmt, ast.QuantumBarrier):
                names = [q.name for q in stmt.qubits]
                latest = max(clock.get(n, 0) for n in names)
                clock.update(dict.fromkeys(names, latest))
            elif isinstance(stmt, ast.ExpressionStatement) and isinstance(stmt.expression, ast.FunctionCall):
                emit(*self._frame_call(stmt.expression, env))
            elif isinstance(stmt, ast.ClassicalDeclaration) and isinstance(stmt.init_expression, ast.FunctionCall):
                emit(*self._capture(stmt.init_expression, measured))
            elif not isinstance(stmt, ast.ReturnStatement):
                raise PulseExportError(f"unsupported statement {type(stmt).__name__} in a defcal at line "
                                       f"{stmt.span.start_line}")
        duration = max(clock.values(), default=0)
        return _Block(tuple(out), tuple(clock), duration)

    def _frame_call(self, call: Any, env: dict) -> tuple[dict, str, int]:
        name, args = call.name.name, call.arguments
        frame = args[0].name
        if name == "play":
            return {"op": "play", "frame": frame, "waveform": args[1].name}, frame, \
                self.reader.waveforms[args[1].name]["duration"]
        if name in FRAME_CALLS:
            key = "phase" if name.endswith("phase") else "frequency"
            return {"op": name, "frame": frame, key: _substitute(to_tree(args[1], self.ast), env)}, frame, 0
        raise PulseExportError(f"unsupported call `{name}` at line {call.span.start_line}")

    def _capture(self, call: Any, measured: dict) -> tuple[dict, str, int]:
        """The acquire of a capture; `measured` gives the qubit and memory slot of the gate call."""
        frame, second = call.arguments[0].name, call.arguments[1]
        if call.name.name == CAPTURE_KERNEL:
            length = self.reader.waveforms[second.name]["duration"]
            inst = {"op": "acquire", "frame": frame, "duration": length, "kernel": second.name}
        else:
            length = _dt(second, self.ast)
            inst = {"op": "acquire", "frame": frame, "duration": length}
        return {**inst, **{k: v for k, v in measured.items() if v is not None}}, frame, length


def _substitute(tree: Any, env: dict, renamed: dict | None = None) -> Any:
    """`tree` with each defcal argument `{"param": th}` replaced by the call's argument tree, and inputs
    declared under another name (`x_arg[1]`) named as the circuit's arguments (`x[1]`)."""
    if isinstance(tree, dict) and set(tree) == {"param"}:
        name = tree["param"]
        base = name.split("[", 1)[0]
        if renamed and base in renamed:
            return {"param": renamed[base] + name[len(base):]}
        return env.get(name, tree)
    if isinstance(tree, dict):
        return {"op": tree["op"], "args": [_substitute(a, env, renamed) for a in tree["args"]]}
    return tree
