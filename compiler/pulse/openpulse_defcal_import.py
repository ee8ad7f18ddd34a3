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
uses, so a call is one block over those frames.  The program's statements:

* `barrier $a, $b;` aligns every frame on the qubits' ports or tracking them
  (the `@qdl` notes of ports and frames say which);
* `box { ... }` is one block: its statements placed from its start, its
  duration their latest end, all its frames held from start to end (a box
  acts as a barrier at its start and its end);
* `if (cond) { ... }` is a conditional block over the frames of its body,
  lasting as long as the body: the untaken branch idles those frames as
  long (`cond` as the flat export writes it: `c[k]`, `!c[k]`, `c == v`,
  `c[i] == 1 && c[j] == 0`);
* classical order: a measurement into `c[k]` waits for the earlier writer
  and readers of `c[k]`; a condition reading `c[k]` waits for its writer's
  end (readers of one bit may overlap).

Placement: `asap` starts each block when all its frames (and bits) are
free; `alap` schedules the reversed program ASAP and mirrors it, then
replays it forwards from those starts.  Each start is rounded up to the
block's alignment on the device's grid (its `timing` in the program's
`@qdl` metadata): `pulse_alignment` for a call that plays, the lcm with
`acquire_alignment` for one that captures, the lcm of its parts for a box
or an `if`; calls of frame changes only are not aligned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse_import import (
    CAPTURE_KERNEL, FRAME_CALLS, REGISTER, _annotation, _CalReader, _dt, parse_openpulse, to_tree,
)

__all__ = ["expand_openpulse_defcal"]
METHODS = ("asap", "alap")


@dataclass(frozen=True)
class _Block:
    """One statement: instructions relative to its start, the frames it holds, its duration and grid, and the
    memory slots it measures into (`writes`) or reads in a condition (`reads`)."""

    instructions: tuple[dict, ...]
    frames: tuple[str, ...]
    duration: int
    alignment: int = 1
    writes: tuple[int, ...] = ()
    reads: tuple[int, ...] = ()


def expand_openpulse_defcal(text: str, method: str = "asap") -> dict:
    """The schedule a gate-level defcal program means, gate calls placed by `method` ("asap" or "alap")."""
    if method not in METHODS:
        raise ValueError(f"unknown scheduling method {method!r}; choose one of {', '.join(METHODS)}")
    program, ast = parse_openpulse(text)
    reader, blocks = _CalReader(ast), []
    expander = _Expander(ast, reader)
    for stmt in program.statements:
        if isinstance(stmt, ast.IODeclaration) and "argument" in (_annotation(stmt) or {}):
            expander.renamed[stmt.identifier.name] = _annotation(stmt)["argument"]  # `x_arg` is the argument `x`
        elif isinstance(stmt, ast.ClassicalDeclaration) and stmt.identifier.name == REGISTER:
            reader.register_size = stmt.type.size.value  # `c == v` reads the whole register
        elif isinstance(stmt, ast.CalibrationStatement):
            expander.timing = ((_annotation(stmt) or {}).get("device") or {}).get("timing") or {}
            for inner in stmt.body:
                reader.statement(inner)
        elif isinstance(stmt, ast.CalibrationDefinition):
            expander.defcals[(stmt.name.name, tuple(q.name for q in stmt.qubits))] = stmt
        elif isinstance(stmt, expander.statements):
            blocks.append(expander.unit(stmt))
    starts = _place(blocks, method)
    timed = [_shifted(inst, start) for block, start in zip(blocks, starts) for inst in block.instructions]
    return {**reader.result(), "instructions": sorted(timed, key=lambda i: i["t0"])}


def _shifted(inst: dict, dt: int) -> dict:
    """The instruction `dt` later (a conditional block with its body)."""
    if inst["op"] == "conditional":
        return {**inst, "t0": inst["t0"] + dt, "body": [_shifted(i, dt) for i in inst["body"]]}
    return {**inst, "t0": inst["t0"] + dt}


def _keys(block: _Block) -> tuple[tuple, tuple, tuple]:
    """(held, waited for, pushed) clocks: frames and slots it writes; also the slots' readers and the slots it
    reads; the readers' end of the slots it reads."""
    held = block.frames + tuple(("written", k) for k in block.writes)
    waits = held + tuple(("read", k) for k in block.writes) + tuple(("written", k) for k in block.reads)
    return held, waits, tuple(("read", k) for k in block.reads)


def _asap(blocks: list[_Block], earliest: list[int], aligned: bool) -> tuple[list[int], dict]:
    """Each block's start: when all it waits for is free, not before `earliest`, rounded up to its grid."""
    clock: dict = {}
    starts = []
    for block, first in zip(blocks, earliest):
        held, waits, pushed = _keys(block)
        start = max([clock.get(k, 0) for k in waits] + [first])
        if aligned:
            start = -(-start // block.alignment) * block.alignment
        clock.update(dict.fromkeys(held, start + block.duration))
        clock.update({k: max(clock.get(k, 0), start + block.duration) for k in pushed})
        starts.append(start)
    return starts, clock


def _place(blocks: list[_Block], method: str) -> list[int]:
    """Start times by `method`: ASAP, or ALAP as the mirror of the reversed program ASAP; then aligned."""
    earliest = [0] * len(blocks)
    if method == "alap":
        order = blocks[::-1]
        starts, clock = _asap(order, earliest, aligned=False)
        total = max(clock.values(), default=0)
        earliest = [total - start - block.duration for block, start in zip(order, starts)][::-1]
    return _asap(blocks, earliest, aligned=True)[0]


class _Expander:
    """Turns one gate-level statement into a `_Block` through the program's defcals."""

    def __init__(self, ast: Any, reader: _CalReader) -> None:
        self.ast, self.reader = ast, reader
        self.defcals: dict = {}
        self.renamed: dict = {}
        self.timing: dict = {}
        self.statements = (ast.QuantumGate, ast.QuantumMeasurementStatement, ast.QuantumBarrier, ast.Box,
                           ast.BranchingStatement)

    def unit(self, stmt: Any) -> _Block:
        """The block of a barrier, gate call, measurement, `box` or `if` statement."""
        ast = self.ast
        if isinstance(stmt, ast.QuantumBarrier):
            frames = self._qubit_frames([q.name for q in stmt.qubits])
            return _Block(({"t0": 0, "op": "barrier", "frames": frames},), tuple(frames), 0)
        if isinstance(stmt, ast.Box):
            return self._sequence(stmt.body, stmt)
        if isinstance(stmt, ast.BranchingStatement):
            return self._conditional(stmt)
        if not isinstance(stmt, (ast.QuantumGate, ast.QuantumMeasurementStatement)):
            raise PulseExportError(f"line {stmt.span.start_line}: unsupported statement {type(stmt).__name__}")
        return self._call(stmt)

    def _call(self, stmt: Any) -> _Block:
        if isinstance(stmt, self.ast.QuantumMeasurementStatement):
            qubits, args, name = [stmt.measure.qubit.name], [], "measure"
            slot = stmt.target.indices[0][0].value if stmt.target is not None else None
            measured = {"qubit": int(qubits[0].lstrip("$")), "memory_slot": slot}
        else:
            qubits, args, name, measured = [q.name for q in stmt.qubits], stmt.arguments, stmt.name.name, {}
        defcal = self.defcals.get((name, tuple(qubits)))
        if defcal is None:
            raise PulseExportError(f"line {stmt.span.start_line}: no defcal for `{name}` on {', '.join(qubits)}")
        env = {a.name.name: _substitute(to_tree(v, self.ast), {}, self.renamed)
               for a, v in zip(defcal.arguments, args)}
        return self._body(defcal.body, env, measured)

    def _sequence(self, body: list, stmt: Any) -> _Block:
        """The statements of a `box` or an `if` as one block: placed ASAP from its start, held to its end."""
        parts = [self.unit(inner) for inner in body]
        starts, _ = _asap(parts, [0] * len(parts), aligned=False)
        insts = tuple(_shifted(i, start) for part, start in zip(parts, starts) for i in part.instructions)
        frames = tuple(dict.fromkeys(f for part in parts for f in part.frames))
        if not frames:
            raise PulseExportError(f"line {stmt.span.start_line}: an empty block has no frames to run on")
        return _Block(insts, frames, max(s + p.duration for p, s in zip(parts, starts)),
                      math.lcm(*(p.alignment for p in parts)), tuple(k for p in parts for k in p.writes),
                      tuple(k for p in parts for k in p.reads))

    def _conditional(self, stmt: Any) -> _Block:
        """`if (cond) { ... }`: a conditional block over its body's frames, as long as its body."""
        if stmt.else_block:
            raise PulseExportError(f"line {stmt.span.start_line}: an `if` with an `else` has no timing here; the "
                                   "untaken branch idles the body's frames (write the body only)")
        body = self._sequence(stmt.if_block, stmt)
        if body.writes or body.reads or any(i["op"] == "conditional" for i in body.instructions):
            raise PulseExportError(f"line {stmt.span.start_line}: a conditional block holds no measurements or "
                                   "nested conditions")
        condition = self.reader._condition(stmt.condition)
        block = {"t0": 0, "op": "conditional", "duration": body.duration, "frames": list(body.frames),
                 "condition": condition, "body": list(body.instructions)}
        return _Block((block,), body.frames, body.duration, body.alignment, reads=tuple(condition["bits"]))

    def _qubit_frames(self, qubits: list[str]) -> list[str]:
        """The frames on the qubits' ports or tracking them (R(q) of the schedule's layout)."""
        wanted = {int(q.lstrip("$")) for q in qubits}
        on_port = {p["name"] for p in self.reader.ports if wanted & set(p.get("qubits", ()))}
        return [f["name"] for f in self.reader.frames if f["port"] in on_port or f.get("tracks_qubit") in wanted]

    def _body(self, body: list, env: dict, measured: dict) -> _Block:
        """A defcal's body replayed on per-frame clocks from 0 (its call's arguments in `env`)."""
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
        pulse, acquire = self.timing.get("pulse_alignment", 1), self.timing.get("acquire_alignment", 1)
        ops = {i["op"] for i in out}
        alignment = math.lcm(pulse, acquire) if "acquire" in ops else pulse if "play" in ops else 1
        slot = measured.get("memory_slot")
        return _Block(tuple(out), tuple(clock), duration, alignment, () if slot is None else (slot,))

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
