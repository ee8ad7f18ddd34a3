"""Quil-T export: parses with `quil` (quil-rs), exact samples and times, and Quil's sign rule checked by simulation.

The sign test interprets the exported Quil-T text with Quil's own physics —
lab signal Re[d_Q e^{i(ωt+φ_Q)}] on a transmon, i.e. the RWA drive
(Ω/2)(conj(d_Q e^{iφ_Q}) a† + h.c.) — in a small propagator written here,
and compares it with `runtime.pulse.simulate` on the JSON schedule (qdl's
convention).  The same model reproduces Quil's documented `RZ(θ) = SHIFT-PHASE +θ`.
"""

from __future__ import annotations

import cmath
import copy
import math
import re
from dataclasses import dataclass

import numpy as np
import pytest
from quil.program import Program
from scipy.linalg import expm

from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse.quilt import export_quilt
from qdl.compiler.pulse.waveforms import Drag, Gaussian, Waveform
from qdl.errors import QdlError
from qdl.runtime.pulse import (
    Delay, Frame, Play, PulseSchedule, SetPhase, ShiftPhase, example_device, simulate,
)
from qdl.runtime.pulse.fidelity import average_gate_fidelity, rz
from test_openpulse_fixtures import P, DocBuilder, ecr_doc, example_doc, op

SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2


def quil_docs() -> dict[str, dict]:
    """The fixtures in a form Quil can express (`atan2` replaced by its value)."""
    ecr = ecr_doc()
    ecr["waveforms"]["cancel_m"]["params"]["angle"] = 0.166 + math.pi / 2
    return {"example_8a": example_doc(), "ecr": ecr}


@pytest.mark.parametrize("name", sorted(quil_docs()))
def test_every_export_parses_with_quil(name: str) -> None:
    text = export_quilt(quil_docs()[name])
    program = Program.parse(text)
    assert len(program.frames.get_keys()) == len(quil_docs()[name]["frames"])


def test_example_text() -> None:
    text = export_quilt(example_doc())
    assert 'SHIFT-PHASE 0 "q0_drive" theta[0]\n' in text  # qdl shift_phase(-theta) is Quil's +theta
    assert 'NONBLOCKING PULSE 0 "q0_drive" x_q0(amp: x0_amp[0])' in text
    assert f'DELAY 0 "m0_frame" {320 * 2.2222222222e-10!r}' in text
    assert f'NONBLOCKING CAPTURE 0 "a0_frame" flat(duration: {22400 * 2.2222222222e-10!r}, iq: (1.0-0.0i)) ro[0]' in text
    assert "SAMPLE-RATE: 4500000000.045" in text and "DECLARE ro BIT[1]" in text


def test_phases_are_negated() -> None:
    text = export_quilt(quil_docs()["ecr"])
    assert 'SET-PHASE 1 "m1_frame" -0.25' in text  # initial frame phase 0.25
    assert 'SHIFT-PHASE 1 "q1_drive" -((theta[0] + phi[0]) * 0.5)' in text
    assert 'SET-PHASE 1 "q1_drive" -(cos(phi[0]) ^ 2)' in text
    assert 'SHIFT-PHASE 1 "q1_drive" 3.141592653589793 / 2' in text  # rz(pi/2) on the control
    assert 'SET-FREQUENCY 1 "q1_drive" 5245300000.0 + df[0]' in text  # frequencies unchanged


# ---- a small Quil-T interpreter (the subset the exporter writes) -------------------------------------

NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
COMPLEX = re.compile(rf"\((-?{NUMBER})([+-])({NUMBER})i\)")


def quil_value(text: str, values: dict[str, float], formals: dict[str, float] | None = None) -> complex:
    """Evaluate a Quil expression of the exporter's output (memory `x[0]`, `%args`, `cis`, `^`)."""
    code = COMPLEX.sub(r"complex(\1, \2\3)", text).replace("^", "**").replace("%", "formal_")
    names = {k: [v] for k, v in values.items()}
    names.update({f"formal_{k}": v for k, v in (formals or {}).items()})
    names.update(cis=lambda x: cmath.exp(1j * x), sin=cmath.sin, cos=cmath.cos, exp=cmath.exp, sqrt=cmath.sqrt,
                 complex=complex)
    return complex(eval(code, {"__builtins__": {}}, names))  # noqa: S307 - test-only, exporter output


def split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:k].strip())
            start = k + 1
    return parts + [text[start:].strip()]


@dataclass
class QuilRun:
    """Per-sample drives of one qubit's frames (all on resonance) under Quil's convention."""

    dt: float
    values: dict
    waveforms: dict
    phase: dict
    clock: dict
    drive: dict
    starts: list  # (frame, start sample, waveform call) of every PULSE and CAPTURE, in program order

    def waveform(self, call: str) -> np.ndarray:
        if call.startswith("flat("):
            args = dict(arg.split(":", 1) for arg in split_top(call[5:-1]))
            length = round(float(args["duration"]) / self.dt)
            return np.full(length, quil_value(args[" iq"] if " iq" in args else args["iq"], self.values))
        name, _, args = call.partition("(")
        formals = {}
        for arg in split_top(args[:-1]) if args else []:
            key, _, expr = arg.partition(":")
            formals[key.strip()] = quil_value(expr, self.values).real
        return np.array([quil_value(s, self.values, formals) for s in self.waveforms[name]])

    def length(self, call: str) -> int:
        if call.startswith("flat("):
            return round(float(call.split("duration: ")[1].split(",")[0]) / self.dt)
        return len(self.waveforms[call.split("(")[0]])

    def line(self, line: str) -> None:
        words = line.split(" ", 3)
        if line.startswith("NONBLOCKING CAPTURE"):
            frame, call = line.split('"')[1], line.split('" ', 1)[1].rsplit(" ", 1)[0]
            self.starts.append((frame, self.clock[frame], call))
            self.clock[frame] += self.length(call)
        elif line.startswith("NONBLOCKING PULSE") and self.drive is None:  # timing only
            frame, call = line.split('"')[1], line.split('" ', 1)[1]
            self.starts.append((frame, self.clock[frame], call))
            self.clock[frame] += self.length(call)
        elif line.startswith("NONBLOCKING PULSE"):
            frame, call = line.split('"')[1], line.split('" ', 1)[1]
            samples = self.waveform(call)
            k0 = self.clock[frame]
            # Quil: lab signal Re[d e^{i(wt+phi)}] -> RWA drive conj(d e^{i phi}) on a+ (module docstring)
            self.drive[frame][k0:k0 + len(samples)] += np.conj(samples * np.exp(1j * self.phase[frame]))
            self.clock[frame] += len(samples)
        elif words[0] in ("SHIFT-PHASE", "SET-PHASE"):
            frame, value = line.split('"')[1], quil_value(line.split('" ', 1)[1], self.values).real
            self.phase[frame] = value + (self.phase[frame] if words[0] == "SHIFT-PHASE" else 0.0)
        elif words[0] == "DELAY":
            frame = line.split('"')[1]
            self.clock[frame] += round(float(line.split('" ', 1)[1]) / self.dt)


def run_quil(text: str, values: dict, dt: float, total: int | None, execute: bool = True) -> QuilRun:
    lines = text.splitlines()
    waveforms = {}
    for k, line in enumerate(lines):
        if line.startswith("DEFWAVEFORM"):
            waveforms[line.split()[1].split("(")[0].rstrip(":")] = split_top(lines[k + 1].strip())
    frames = [line.split('"')[1] for line in lines if line.startswith("DEFFRAME")]
    drive = None if total is None else {f: np.zeros(total, complex) for f in frames}
    run = QuilRun(dt, values, waveforms, dict.fromkeys(frames, 0.0), dict.fromkeys(frames, 0), drive, [])
    for line in lines if execute else ():
        run.line(line)
    return run


def propagate(drive: np.ndarray, model) -> np.ndarray:
    """Π_k exp(-i H_k dt), H_k = static + (Ω/2)(D_k a† + h.c.): one transmon in its rotating frame."""
    a = model.lowering(0)
    omega = 2 * np.pi * model.qubits[0].drive_strength_ghz
    u = np.eye(model.dim, dtype=complex)
    for d in drive:
        h = model.static_hamiltonian() + 0.5 * omega * (d * a.conj().T + np.conj(d) * a)
        u = expm(-1j * h * model.dt_ns) @ u
    return u


# ---- the physics check ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sampled(Waveform):
    """Explicit samples as a runtime waveform (amp 1, angle 0)."""

    duration: int
    data: tuple
    amp: float = 1.0
    angle: float = 0.0

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        return np.array(self.data, dtype=complex)


def one_qubit_doc() -> dict:
    doc = example_doc()
    doc["parameters"].append({"name": "phi", "kind": "angle", "value": 0.7})
    doc["waveforms"]["probe"] = {"shape": "gaussian", "duration": 64,
                                 "params": {"amp": 0.2, "angle": op("neg", P("phi")), "sigma": 16}}
    custom = Drag(64, 0.3, 12.0, 2.0, angle=-0.4).samples()
    doc["waveforms"]["custom"] = {"shape": "samples", "duration": 64, "samples": [[z.real, z.imag] for z in custom]}
    doc["waveforms"]["square"] = {"shape": "gaussian_square", "duration": 256,  # plays as rise, flat, fall
                                  "params": {"amp": op("mul", P("x0_amp"), 0.5), "angle": 0.4, "sigma": 16,
                                             "width": 160}}
    doc["instructions"] = []
    del doc["waveforms"]["m_q0"], doc["waveforms"]["boxcar"]  # no readout here: keeps the text small
    b = DocBuilder(doc)
    b.frame_op("q0_drive", "shift_phase", op("neg", P("theta"))).play("q0_drive", "sx_q0")
    b.frame_op("q0_drive", "set_phase", op("mul", P("phi"), 0.5)).play("q0_drive", "probe")
    b.delay("q0_drive", 32).play("q0_drive", "x_q0").frame_op("q0_drive", "shift_phase", -1.2)
    b.play("q0_drive", "custom").play("q0_drive", "square")
    return doc


def to_runtime(doc: dict) -> PulseSchedule:
    """The single-qubit schedule for `runtime.pulse.simulate`, numbers bound to the parameter values."""
    values = common.parameter_values(doc)
    frame = doc["frames"][0]
    out = []
    for inst in doc["instructions"]:
        if inst["op"] == "play":
            samples = common.sample(doc["waveforms"][inst["waveform"]], values)
            out.append(Play(inst["t0"], frame["name"], Sampled(len(samples), tuple(samples))))
        elif inst["op"] in ("shift_phase", "set_phase"):
            kind = ShiftPhase if inst["op"] == "shift_phase" else SetPhase
            out.append(kind(inst["t0"], frame["name"], common.expr_json.evaluate(inst["phase"], values)))
        elif inst["op"] == "delay":
            out.append(Delay(inst["t0"], frame["name"], inst["duration"]))
    return PulseSchedule((Frame(frame["name"], 0, frame["frequency"] / 1e9, 0.0, 0),), tuple(out))


@pytest.mark.parametrize("theta", [0.3, 1.2, -2.0])
def test_quil_text_is_the_same_physical_schedule(theta: float) -> None:
    doc = one_qubit_doc()
    doc["parameters"][0]["value"] = theta
    sched = to_runtime(doc)
    model = example_device((0,), 3)
    want = simulate(sched, model)
    text = export_quilt(doc)
    assert 'PULSE 0 "q0_drive" square__rise(amp: x0_amp[0] * 0.5)' in text  # the flat top plays as `flat`
    run = run_quil(text, common.parameter_values(doc), doc["device"]["dt"], sched.duration)
    np.testing.assert_allclose(propagate(run.drive["q0_drive"], model), want.unitary, atol=1e-9)
    assert run.phase["q0_drive"] == pytest.approx(-want.frame_phases[0], abs=1e-12)  # phi_Quil = -phi_qdl


def test_quil_model_reproduces_quils_rz_rule() -> None:
    """Quil's DEFCAL RZ(θ) is SHIFT-PHASE +θ: in the Quil model, [SHIFT-PHASE θ; PULSE sx] is SX·RZ(θ)."""
    model, theta = example_device((0,), 3), 0.3
    doc = one_qubit_doc()
    doc["instructions"] = doc["instructions"][:2]  # shift_phase(-theta); play(sx)
    text = export_quilt(doc)
    assert 'SHIFT-PHASE 0 "q0_drive" theta[0]' in text
    run = run_quil(text, {"theta": theta, "x0_amp": 0.17408, "phi": 0.7}, doc["device"]["dt"], 160)
    v = propagate(run.drive["q0_drive"], model)[:2, :2]
    v = rz(run.phase["q0_drive"]) @ v  # undo the final Quil frame offset (its axis turned by -phi_Q)
    assert average_gate_fidelity(v, SX @ rz(theta)) >= 0.99999
    assert average_gate_fidelity(v, SX @ rz(-theta)) < 0.95


def test_waveform_samples_are_conjugated_exactly() -> None:
    doc = one_qubit_doc()
    run = run_quil(export_quilt(doc), {"x0_amp": 0.15, "phi": 0.7, "theta": 0.0}, doc["device"]["dt"], 1000)
    values = {"x0_amp": 0.15, "phi": 0.7}
    for name in ("sx_q0", "custom"):
        np.testing.assert_allclose(run.waveform(name), np.conj(common.sample(doc["waveforms"][name], values)),
                                   rtol=0, atol=1e-15)
    np.testing.assert_allclose(run.waveform("x_q0(amp: x0_amp[0])"),
                               np.conj(common.sample(doc["waveforms"]["x_q0"], values)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(run.waveform("probe(angle: -phi[0])"),
                               np.conj(Gaussian(64, 0.2, 16, angle=-0.7).samples()), rtol=0, atol=1e-15)


def test_symbolic_drag_beta_is_a_waveform_argument() -> None:
    doc = quil_docs()["ecr"]
    run = run_quil(export_quilt(doc), common.parameter_values(doc), doc["device"]["dt"], 0, execute=False)
    got = run.waveform("x_q1(amp: 0.17, beta: -1.25)")
    sigma = doc["waveforms"]["x_q1"]["params"]["sigma"]  # t5's x calibration
    np.testing.assert_allclose(got, np.conj(Drag(160, 0.17, sigma, -1.25).samples()), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(quil_docs()))
def test_delays_reproduce_every_start_time(name: str) -> None:
    doc = quil_docs()[name]
    run = run_quil(export_quilt(doc), common.parameter_values(doc), doc["device"]["dt"], None)
    want = [(i["frame"], i["t0"]) for i in sorted(doc["instructions"], key=lambda i: i["t0"])
            if i["op"] in ("play", "acquire")]
    got, last = [], {}  # last[frame]: (call, end) of the frame's latest segment
    for frame, start, call in run.starts:  # a gaussian_square plays as rise, flat top, fall, back to back
        prev = last.get(frame)
        joined = prev is not None and prev[1] == start and (
            ("__rise" in prev[0] and call.startswith("flat(")) or "__fall" in call)
        if not joined:
            got.append((frame, start, call))
        last[frame] = (call, start + run.length(call))
    assert [(frame, start) for frame, start, _ in got] == want
    assert "flat(" in export_quilt(doc) and any("__rise" in call for _, _, call in got)
    ends = {f: run.clock[f] for f in run.clock}
    for f in ends:  # every frame ends where its last instruction ends
        assert ends[f] == max((i["t0"] + common.duration(i, doc) for i in doc["instructions"]
                               if f in (i.get("frame"), *i.get("frames", ()))), default=0)


def test_fence_waits_for_every_frame_on_its_qubits() -> None:
    doc = example_doc()
    doc["instructions"].insert(4, {"t0": 352, "op": "barrier", "frames": ["q0_drive"]})
    with pytest.raises(QdlError, match=r"instruction 4 \(barrier .*frame `m0_frame` is busy until t=22720"):
        export_quilt(doc)
    text = export_quilt(quil_docs()["ecr"])
    assert text.count("FENCE 0 1") == 4


def test_quil_cannot_spell_atan2() -> None:
    with pytest.raises(QdlError, match=r"waveform `cancel_m` angle: `atan2` has no equivalent"):
        export_quilt(ecr_doc())
    doc = copy.deepcopy(example_doc())
    doc["instructions"][0]["phase"] = op("abs", P("theta"))
    with pytest.raises(QdlError, match=r"instruction 0 \(shift_phase .*`abs`"):
        export_quilt(doc)
