"""JSON pulse schedules (`qdl.pulse_schedule` v0.1, reference note §8a) for the exporter tests.

Built here from the device file `stdlib/devices/t5.toml` and the waveforms of
`compiler/pulse/waveforms.py`, independently of the scheduler: the §8a example
instance verbatim, and an echoed-cross-resonance CX(1→0) with readout that
uses every op, expression trees, a sampled waveform and both acquire forms.
The tests at the bottom check that the fixtures are themselves consistent.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np

from qdl.compiler.device import load_device
from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse.waveforms import Drag

EXAMPLE_8A = r"""
{
  "format": "qdl.pulse_schedule", "version": "0.1",
  "device": {"name": "qdl-fake-t5", "dt": 2.2222222222e-10,
             "timing": {"granularity": 16, "min_length": 64, "pulse_alignment": 16, "acquire_alignment": 16}},
  "time_unit": "dt",
  "phase_convention": "axis=+phase",
  "parameters": [
    {"name": "theta", "kind": "angle", "trainable": true, "value": 0.3},
    {"name": "x0_amp", "kind": "real", "trainable": true, "value": 0.17408, "bounds": [0, 1]}
  ],
  "ports": [
    {"name": "d0", "kind": "drive", "qubits": [0]},
    {"name": "m0", "kind": "measure", "qubits": [0]},
    {"name": "a0", "kind": "acquire", "qubits": [0]}
  ],
  "frames": [
    {"name": "q0_drive", "port": "d0", "frequency": 5.0902e9, "phase": 0.0, "tracks_qubit": 0},
    {"name": "m0_frame", "port": "m0", "frequency": 7.3017e9, "phase": 0.0},
    {"name": "a0_frame", "port": "a0", "frequency": 7.3017e9, "phase": 0.0}
  ],
  "waveforms": {
    "sx_q0": {"shape": "drag", "duration": 160, "params": {"amp": 0.08701, "angle": 0.0, "sigma": 40, "beta": 1.619}},
    "x_q0": {"shape": "drag", "duration": 160, "params": {"amp": {"param": "x0_amp"}, "angle": 0.0, "sigma": 40, "beta": 1.580}},
    "m_q0": {"shape": "gaussian_square", "duration": 22400, "params": {"amp": 0.03, "angle": 1.5637, "sigma": 64, "width": 22144}},
    "boxcar": {"shape": "constant", "duration": 22400, "params": {"amp": 1.0, "angle": 0.0}}
  },
  "instructions": [
    {"t0": 0, "op": "shift_phase", "frame": "q0_drive", "phase": {"op": "neg", "args": [{"param": "theta"}]}, "gate": "rz(theta) q0"},
    {"t0": 0, "op": "play", "frame": "q0_drive", "waveform": "sx_q0", "gate": "sx q0"},
    {"t0": 160, "op": "play", "frame": "q0_drive", "waveform": "x_q0", "gate": "x q0"},
    {"t0": 320, "op": "play", "frame": "m0_frame", "waveform": "m_q0", "gate": "measure q0"},
    {"t0": 320, "op": "acquire", "frame": "a0_frame", "duration": 22400, "qubit": 0, "memory_slot": 0, "kernel": "boxcar"},
    {"t0": 22720, "op": "delay", "frame": "m0_frame", "duration": 1680}
  ],
  "final_frame_phases": {"q0_drive": {"op": "neg", "args": [{"param": "theta"}]}}
}
"""


def P(name: str) -> dict:
    return {"param": name}


def op(name: str, *args) -> dict:
    return {"op": name, "args": list(args)}


def example_doc() -> dict:
    """The §8a example instance, verbatim."""
    return json.loads(EXAMPLE_8A)


class DocBuilder:
    """Appends instructions on per-frame clocks, like a tiny ASAP scheduler."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.clock = {f["name"]: 0 for f in doc["frames"]}

    def _add(self, frame: str, length: int, **inst) -> "DocBuilder":
        self.doc["instructions"].append({"t0": self.clock[frame], **inst, "frame": frame})
        self.clock[frame] += length
        return self

    def play(self, frame: str, waveform: str, gate: str | None = None) -> "DocBuilder":
        extra = {"gate": gate} if gate else {}
        return self._add(frame, self.doc["waveforms"][waveform]["duration"], op="play", waveform=waveform, **extra)

    def frame_op(self, frame: str, name: str, value, gate: str | None = None) -> "DocBuilder":
        key = "phase" if name.endswith("phase") else "frequency"
        return self._add(frame, 0, op=name, **{key: value}, **({"gate": gate} if gate else {}))

    def delay(self, frame: str, length: int) -> "DocBuilder":
        return self._add(frame, length, op="delay", duration=length)

    def acquire(self, frame: str, length: int, qubit: int, slot: int, kernel: str | None = None) -> "DocBuilder":
        extra = {"kernel": kernel} if kernel else {}
        return self._add(frame, length, op="acquire", duration=length, qubit=qubit, memory_slot=slot, **extra)

    def barrier(self, *frames: str) -> "DocBuilder":
        latest = max(self.clock[f] for f in frames)
        self.doc["instructions"].append({"t0": latest, "op": "barrier", "frames": list(frames)})
        self.clock.update({f: latest for f in frames})
        return self


def _waveforms(device) -> dict:
    sx, x, meas = device.calibrations["sx"], device.calibrations["x"], device.calibrations["measure"]
    cr = next(c for c in device.calibrations["ecr"] if c.qubits == (1, 0))

    def gsq(amp, angle, cal) -> dict:
        return {"shape": "gaussian_square", "duration": cal.duration,
                "params": {"amp": amp, "angle": angle, "sigma": cal.sigma, "width": cal.width}}

    custom = Drag(64, 0.05, 16.0, 0.5, angle=0.25).samples()
    return {
        "sx_q0": {"shape": "drag", "duration": sx.duration,
                  "params": {"amp": sx.amp[0], "angle": 0.0, "sigma": sx.sigma, "beta": sx.beta[0]}},
        "x_q1": {"shape": "drag", "duration": x.duration,
                 "params": {"amp": P("x1_amp"), "angle": 0.0, "sigma": x.sigma, "beta": P("beta1")}},
        "cr_p": gsq(op("mul", P("cr_scale"), cr.cr_amp), cr.cr_angle, cr),
        "cr_m": gsq(op("mul", P("cr_scale"), cr.cr_amp), cr.cr_angle + math.pi, cr),
        "cancel_p": gsq(cr.cancel_amp, cr.cancel_angle, cr),
        "cancel_m": gsq(cr.cancel_amp, op("add", cr.cancel_angle, op("atan2", 1.0, 0.0)), cr),
        "probe": {"shape": "gaussian", "duration": 64, "params": {"amp": 0.1, "angle": op("neg", P("phi")),
                                                                  "sigma": 16}},
        "custom": {"shape": "samples", "duration": 64, "samples": [[v.real, v.imag] for v in custom]},
        "m_q0": gsq(meas.amp[0], 1.5637, meas), "m_q1": gsq(meas.amp[1], 1.5637, meas),
        "boxcar": {"shape": "constant", "duration": meas.acquire_duration, "params": {"amp": 1.0, "angle": 0.0}},
    }


def ecr_doc() -> dict:
    """CX(1→0) as rz; sx q0; x q1; ECR(1,0); rz(π/2) q1, then extra frame ops and both readouts."""
    device = load_device("t5")
    f0, f1 = (device.qubits[q].frequency_ghz * 1e9 for q in (0, 1))
    r0, r1 = (device.qubits[q].readout_frequency_ghz * 1e9 for q in (0, 1))
    ports = [{"name": f"{k}{q}", "kind": kind, "qubits": [q]}
             for q in (0, 1) for k, kind in (("d", "drive"), ("m", "measure"), ("a", "acquire"))]
    frames = [{"name": "q0_drive", "port": "d0", "frequency": f0, "phase": 0.0, "tracks_qubit": 0},
              {"name": "q1_drive", "port": "d1", "frequency": f1, "phase": 0.0, "tracks_qubit": 1},
              {"name": "cr10", "port": "d1", "frequency": f0, "phase": 0.0, "tracks_qubit": 0},
              {"name": "m0_frame", "port": "m0", "frequency": r0, "phase": 0.0},
              {"name": "m1_frame", "port": "m1", "frequency": r1, "phase": 0.25},
              {"name": "a0_frame", "port": "a0", "frequency": r0, "phase": 0.0},
              {"name": "a1_frame", "port": "a1", "frequency": op("add", r1, P("df")), "phase": 0.0}]
    params = [{"name": "theta", "kind": "angle", "trainable": True, "value": 0.3},
              {"name": "phi", "kind": "angle", "value": -1.1},
              {"name": "x1_amp", "kind": "real", "trainable": True, "value": 0.17409, "bounds": [0, 1]},
              {"name": "beta1", "kind": "real", "trainable": True, "value": 1.677},
              {"name": "cr_scale", "kind": "real", "trainable": True, "value": 1.0},
              {"name": "df", "kind": "real", "value": 1.5e6}]
    doc = {"format": "qdl.pulse_schedule", "version": "0.1",
           "device": {"name": device.name, "dt": device.dt,
                      "timing": {"granularity": 16, "min_length": 64, "pulse_alignment": 16,
                                 "acquire_alignment": 16}},
           "time_unit": "dt", "phase_convention": "axis=+phase", "parameters": params, "ports": ports,
           "frames": frames, "waveforms": _waveforms(device), "instructions": []}
    _ecr_instructions(DocBuilder(doc), device.calibrations["measure"])
    doc["final_frame_phases"] = {"q0_drive": op("neg", P("theta")), "cr10": op("neg", P("theta")),
                                 "q1_drive": op("sub", P("phi"), op("div", math.pi, 2))}
    doc["source"] = {"circuit": "rz(theta) q[0]; cx q[1], q[0]; measure q"}
    return doc


def _ecr_instructions(b: DocBuilder, meas) -> None:
    drives = ("q0_drive", "q1_drive", "cr10")
    minus_theta = op("neg", P("theta"))
    b.frame_op("q0_drive", "shift_phase", minus_theta, "rz(theta) q0")
    b.frame_op("cr10", "shift_phase", minus_theta, "rz(theta) q0")
    b.play("q1_drive", "x_q1", "x q1").play("q0_drive", "sx_q0", "sx q0").barrier(*drives)
    b.play("cr10", "cr_p", "ecr q1, q0").play("q0_drive", "cancel_p", "ecr q1, q0").barrier(*drives)
    b.play("q1_drive", "x_q1", "ecr q1, q0").barrier(*drives)
    b.play("cr10", "cr_m", "ecr q1, q0").play("q0_drive", "cancel_m", "ecr q1, q0")
    b.frame_op("q1_drive", "shift_phase", op("neg", op("div", math.pi, 2)), "rz(pi/2) q1")
    b.frame_op("q1_drive", "shift_phase", op("mul", op("add", P("theta"), P("phi")), 0.5))
    b.frame_op("q1_drive", "set_phase", op("pow", op("cos", P("phi")), 2))
    b.frame_op("q1_drive", "set_frequency", op("add", 5.2453e9, P("df")))
    b.frame_op("q1_drive", "shift_frequency", op("neg", P("df")))
    b.play("q1_drive", "probe").delay("q1_drive", 112).play("q1_drive", "custom")
    b.frame_op("q1_drive", "set_phase", op("sub", P("phi"), op("div", math.pi, 2)))
    b.barrier(*drives, "m0_frame", "m1_frame", "a0_frame", "a1_frame")
    b.play("m0_frame", "m_q0", "measure q0").play("m1_frame", "m_q1", "measure q1")
    b.acquire("a0_frame", meas.acquire_duration, 0, 0, "boxcar").acquire("a1_frame", meas.acquire_duration, 1, 1)
    b.delay("m0_frame", meas.ringdown_delay).delay("m1_frame", meas.ringdown_delay)


def all_docs() -> dict[str, dict]:
    """Every fixture by name (fresh copies)."""
    return {"example_8a": example_doc(), "ecr": ecr_doc()}


def test_fixtures_validate_and_meet_timing() -> None:
    for doc in all_docs().values():
        common.validate(doc)
        common.check_timing(doc)
        assert [s.index for s in common.walk(doc)] == sorted(range(len(doc["instructions"])),
                                                             key=lambda i: doc["instructions"][i]["t0"])


def test_ecr_fixture_timing_is_the_echo() -> None:
    doc = ecr_doc()
    plays = [(i["t0"], i["frame"], i["waveform"]) for i in doc["instructions"] if i["op"] == "play"]
    assert (160, "cr10", "cr_p") in plays and (160, "q0_drive", "cancel_p") in plays
    assert (2848, "q1_drive", "x_q1") in plays and (3008, "cr10", "cr_m") in plays  # t5: 2688 dt CR halves
    assert max(common.duration(i, doc) + i["t0"] for i in doc["instructions"]) == 160 + 5536 + 22400 + 1680


def test_sampling_uses_the_waveform_formulas() -> None:
    doc = ecr_doc()
    values = common.parameter_values(doc)
    got = common.sample(doc["waveforms"]["x_q1"], values)
    want = Drag(160, 0.17409, doc["waveforms"]["x_q1"]["params"]["sigma"], 1.677).samples()  # σ: t5's x
    np.testing.assert_allclose(got, want, atol=1e-15)
    assert copy.deepcopy(doc) == ecr_doc()  # building is deterministic
