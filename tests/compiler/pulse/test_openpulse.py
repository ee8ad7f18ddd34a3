"""OpenPulse export of JSON pulse schedules: reference parser, printer fixed point, exact read-back, timing errors.

Every export is parsed by the reference parser `openpulse` (PyPI, pinned in the
`test` extra); `import_openpulse(export_openpulse(doc)) == doc` checks t0s,
ops, waveforms and expression trees at once.
"""

from __future__ import annotations

import copy

import numpy as np
import openpulse
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpulse import printer

from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse.openpulse import export_openpulse, import_openpulse
from qdl.errors import QdlError
from test_openpulse_fixtures import P, all_docs, ecr_doc, example_doc, op

# Reference note §2.4, verbatim: the golden example program (parses and round-trips with openpulse 1.0.1).
GOLDEN_2_4 = """OPENQASM 3.0;
defcalgrammar "openpulse";

input angle[32] theta;                  // circuit parameter (trainable in qdl)
input float[64] x1_amp;                 // pulse-level parameter (trainable), default 0.17409

cal {
    port d0;                            // drive line q0   (spec text: `extern port d0;`)
    port d1;                            // drive line q1
    port m0;                            // readout stimulus q0
    port a0;                            // readout capture q0
    extern drag(complex[float[64]], duration, duration, float[64]) -> waveform;            // (amp, d, sigma, beta)
    extern gaussian_square(complex[float[64]], duration, duration, duration) -> waveform;  // (amp, d, width, sigma)
    extern constant(complex[float[64]], duration) -> waveform;                            // (amp, d)
    extern capture_v2(frame, waveform) -> bit;                                            // (frame, kernel)
    frame q0_drive = newframe(d0, 5.0902e9, 0.0);
    frame q1_drive = newframe(d1, 5.2453e9, 0.0);
    frame cr10 = newframe(d1, 5.0902e9, 0.0);     // CR tone: control port d1 at target (q0) frequency
    frame m0_frame = newframe(m0, 7.3017e9, 0.0);
    frame a0_frame = newframe(a0, 7.3017e9, 0.0);
}

// virtual Z: shift every frame that tracks the qubit's frequency by -th
defcal rz(angle[32] th) $0 { shift_phase(q0_drive, -th); shift_phase(cr10, -th); }
defcal rz(angle[32] th) $1 { shift_phase(q1_drive, -th); }

defcal sx $0 { play(q0_drive, drag(0.08701 + 0.0im, 160dt, 40dt, 1.619)); }
defcal sx $1 { play(q1_drive, drag(0.08701 + 0.0im, 160dt, 40dt, 1.719)); }
defcal x $0  { play(q0_drive, drag(0.17408 + 0.0im, 160dt, 40dt, 1.580)); }
defcal x $1  { play(q1_drive, drag(x1_amp + 0.0im, 160dt, 40dt, 1.677)); }

// CX(1->0) = (RZ(pi/2) on 1) . ECR(1,0) . (X on 1, SX on 0);  ECR = CR(+pi/4); X(ctrl); CR(-pi/4)
defcal cx $1, $0 {
    play(q1_drive, drag(x1_amp + 0.0im, 160dt, 40dt, 1.677));           // x on control
    play(q0_drive, drag(0.08701 + 0.0im, 160dt, 40dt, 1.619));          // sx on target
    barrier q0_drive, q1_drive, cr10;
    play(cr10, gaussian_square(-0.1404 - 0.0294im, 1584dt, 1328dt, 64dt));     // CR(+pi/4)
    play(q0_drive, gaussian_square(0.02337 + 0.00392im, 1584dt, 1328dt, 64dt)); // target cancellation tone
    barrier q0_drive, q1_drive, cr10;
    play(q1_drive, drag(x1_amp + 0.0im, 160dt, 40dt, 1.677));           // echo
    barrier q0_drive, q1_drive, cr10;
    play(cr10, gaussian_square(0.1404 + 0.0294im, 1584dt, 1328dt, 64dt));      // CR(-pi/4)
    play(q0_drive, gaussian_square(-0.02337 - 0.00392im, 1584dt, 1328dt, 64dt));
    shift_phase(q1_drive, -pi/2);                                       // rz(pi/2) on control
}

defcal measure $0 -> bit {
    play(m0_frame, gaussian_square(0.0002 + 0.03im, 22400dt, 22144dt, 64dt));
    return capture_v2(a0_frame, constant(1.0 + 0.0im, 22400dt));
}

bit[1] c;
rz(theta) $0;
sx $0;
x $1;
cx $1, $0;
c[0] = measure $0;
"""


def assert_printer_fixed_point(text: str) -> None:
    once = printer.dumps(openpulse.parse(text))
    assert printer.dumps(openpulse.parse(once)) == once


def test_golden_example_of_the_note_parses_and_round_trips() -> None:
    program = openpulse.parse(GOLDEN_2_4)
    assert sum(type(s).__name__ == "CalibrationDefinition" for s in program.statements) == 8
    assert_printer_fixed_point(GOLDEN_2_4)


@pytest.mark.parametrize("name", sorted(all_docs()))
def test_every_export_parses_and_prints_stably(name: str) -> None:
    text = export_openpulse(all_docs()[name])
    program = openpulse.parse(text)
    assert [type(s).__name__ for s in program.statements][-1] == "CalibrationStatement"
    assert_printer_fixed_point(text)


@pytest.mark.parametrize("name", sorted(all_docs()))
def test_read_back_is_exact(name: str) -> None:
    doc = all_docs()[name]
    assert import_openpulse(export_openpulse(doc)) == doc


def test_read_back_samples_agree(name: str = "ecr") -> None:
    doc = all_docs()[name]
    back = import_openpulse(export_openpulse(doc))
    values = common.parameter_values(doc)
    for key, wf in doc["waveforms"].items():
        np.testing.assert_allclose(common.sample(back["waveforms"][key], values),
                                   common.sample(wf, values), rtol=0, atol=1e-12)


def test_example_text_reproduces_start_times_with_delays() -> None:
    text = export_openpulse(example_doc())
    assert "shift_phase(q0_drive, -theta);" in text
    assert "waveform x_q0 = drag(x0_amp + 0.0im, 160dt, 40dt, 1.58);" in text
    assert "waveform m_q0 = gaussian_square(0.03 * exp(1.5637 * 1.0im), 22400dt, 22144dt, 64dt);" in text
    assert "delay[320dt] m0_frame;" in text and "delay[320dt] a0_frame;" in text
    assert "c[0] = capture_v2(a0_frame, boxcar);" in text
    assert "input angle[32] theta;" in text and "input float[64] x0_amp;" in text


def test_unsorted_instructions_come_back_in_time_order() -> None:
    doc = ecr_doc()
    shuffled = copy.deepcopy(doc)
    # latest first; instructions with one t0 keep their order, which is significant (§8a)
    shuffled["instructions"] = sorted(doc["instructions"], key=lambda i: -i["t0"])
    assert shuffled["instructions"] != doc["instructions"]
    assert import_openpulse(export_openpulse(shuffled)) == doc


def test_unknown_keys_travel_in_annotations() -> None:
    doc = example_doc()
    doc["waveforms"]["sx_q0"]["calibrated"] = "2026-11-01"
    doc["frames"][1]["note"] = {"ring_down": 1680}
    doc["instructions"][3]["gate_index"] = 3
    doc["extra_top_level"] = [1, 2]
    assert import_openpulse(export_openpulse(doc)) == doc


def test_extern_port_flag_writes_the_spec_form() -> None:
    text = export_openpulse(example_doc(), extern_ports=True)
    assert "extern port d0;" in text
    with pytest.raises(Exception):  # reference note §2.3: openpulse 1.0.1 rejects `extern port`
        openpulse.parse(text)


# ---- expression trees -------------------------------------------------------------------------------

TREES = [
    op("neg", op("neg", P("theta"))), op("sub", P("theta"), op("sub", P("phi"), 1.5)),
    op("sub", op("sub", P("theta"), P("phi")), 1.5), op("div", P("theta"), op("mul", P("phi"), 2)),
    op("pow", op("pow", P("theta"), 2), 3), op("pow", P("theta"), op("pow", 2, 3)),
    op("neg", op("pow", P("theta"), 2)), op("pow", op("neg", P("theta")), 2), op("pow", 2, op("neg", P("phi"))),
    op("mul", -2.5, op("add", P("theta"), -1e-300)), op("atan2", op("sin", P("theta")), op("abs", P("phi"))),
    op("sqrt", op("exp", op("cos", op("add", P("theta"), op("add", P("phi"), 1))))),
    0.1 + 0.2, -0.0, 7, 1e22, 6.02214076e23,
]


def _doc_with_phases(values: list) -> dict:
    doc = example_doc()
    doc["parameters"].append({"name": "phi", "kind": "angle"})
    doc["instructions"][1:1] = [{"t0": 0, "op": "shift_phase", "frame": "q0_drive", "phase": v} for v in values]
    return doc


def test_expression_trees_survive_the_text() -> None:
    doc = _doc_with_phases(TREES)
    assert import_openpulse(export_openpulse(doc)) == doc


leaves = st.one_of(st.sampled_from([P("theta"), P("phi")]), st.integers(0, 9),
                   st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
trees = st.recursive(leaves, lambda sub: st.one_of(
    st.builds(lambda a, b, o: op(o, a, b), sub, sub, st.sampled_from(["add", "sub", "mul", "div", "pow", "atan2"])),
    st.builds(lambda a, o: op(o, a), sub.filter(lambda v: isinstance(v, dict)),
              st.sampled_from(["neg", "sin", "cos", "exp", "sqrt", "abs"]))), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(trees, min_size=1, max_size=4))
def test_random_expression_trees_survive_the_text(values: list) -> None:
    doc = _doc_with_phases(values)
    assert import_openpulse(export_openpulse(doc)) == doc


# ---- errors -------------------------------------------------------------------------------------------

def _broken(change) -> dict:
    doc = example_doc()
    change(doc)
    return doc


@pytest.mark.parametrize("change, message", [
    (lambda d: d["instructions"][2].update(t0=168), r"instruction 2 \(play on q0_drive at t0=168, gate \"x q0\"\)"
                                                    r".*start 168 dt is not a multiple of the alignment 16"),
    (lambda d: d["waveforms"]["x_q0"].update(duration=150), r"instruction 2 .*not a multiple of the granularity 16"),
    (lambda d: d["waveforms"]["x_q0"].update(duration=48), r"below the minimum length 64"),
    (lambda d: d["instructions"][4].update(t0=328), r"instruction 4 \(acquire on a0_frame.*alignment 16"),
    (lambda d: d["instructions"][2].update(t0=144), r"frame `q0_drive` is busy until t=160"),
    (lambda d: d["instructions"][4].update(duration=1600), r"kernel `boxcar` lasts 22400 dt but the acquire 1600"),
    (lambda d: d["parameters"].append({"name": "play", "kind": "real"}), r"parameter name `play` is not usable"),
    (lambda d: d["parameters"].append({"name": "sx_q0", "kind": "real"}),
     r"waveform `sx_q0` has the same name as a parameter"),
    (lambda d: d["instructions"][0].update(phase=P("psi")), r"parameters \['psi'\] are used but not declared"),
    (lambda d: d["instructions"].insert(2, {"t0": 0, "op": "shift_phase", "frame": "q0_drive", "phase": 1.0}),
     r"instruction 2 \(shift_phase .* busy until t=160 dt.*list a frame change before a play"),
    (lambda d: d["instructions"][0].update(phase=op("add", 1, 2, 3)), r"`add` takes 2 argument"),
    (lambda d: d["instructions"][0].update(phase={"op": "tan", "args": [1]}), r"instruction 0 .*neither a number"),
    (lambda d: d["instructions"][1].update(waveform="nope"), r"unknown waveform `nope`"),
    (lambda d: d["instructions"][4].pop("memory_slot"), r"instruction 4 \(acquire .*needs `memory_slot`"),
    (lambda d: d["instructions"][1].pop("waveform"), r"instruction 1 \(play .*needs `waveform`"),
    (lambda d: d.pop("frames"), r"lacks `frames`"),
    (lambda d: d["device"].update(dt=0), r"device.dt must be a positive number"),
    (lambda d: d["waveforms"]["sx_q0"]["params"].update(sigma=P("theta")), r"`sigma` must be a static number"),
])
def test_bad_schedules_name_the_problem(change, message: str) -> None:
    with pytest.raises(QdlError, match=message):
        export_openpulse(_broken(change))


def test_timing_check_can_be_turned_off() -> None:
    doc = _broken(lambda d: d["instructions"][2].update(t0=168))
    assert import_openpulse(export_openpulse(doc, check_timing=False))["instructions"][2]["t0"] == 168


def test_reader_rejects_what_it_cannot_read() -> None:
    with pytest.raises(QdlError, match="not valid OpenPulse"):
        import_openpulse("OPENQASM 3.0;\ncal { play(; }\n")
    with pytest.raises(QdlError, match="unsupported"):
        import_openpulse(GOLDEN_2_4.replace("cal {", "cal {\n    float[64] x = 1.0;"))
    text = export_openpulse(example_doc())
    with pytest.raises(QdlError, match="unsupported expression FunctionCall"):
        import_openpulse(text.replace("shift_phase(q0_drive, -theta)", "shift_phase(q0_drive, tan(theta))"))
    with pytest.raises(QdlError, match="annotation is not JSON"):
        import_openpulse(text.replace('@qdl {"gate": "sx q0"}', '@qdl {gate}'))


# ---- random schedules ---------------------------------------------------------------------------------

FRAME_NAMES = [f["name"] for f in ecr_doc()["frames"]]
steps = st.lists(st.tuples(st.sampled_from(FRAME_NAMES), st.integers(0, 4),
                           st.sampled_from(["sx_q0", "probe", "custom", "delay", "shift_phase", "set_frequency",
                                            "acquire", "barrier"]),
                           st.sets(st.sampled_from(FRAME_NAMES), min_size=1, max_size=4)), max_size=25)


@settings(max_examples=40, deadline=None)
@given(steps)
def test_random_schedules_come_back_exactly(plan: list) -> None:
    doc = ecr_doc()
    doc["instructions"], clock = [], dict.fromkeys(FRAME_NAMES, 0)
    for frame, gap, what, others in plan:
        t0 = clock[frame] + 16 * gap
        if what == "barrier":
            names = sorted(others | {frame})
            t0 = max(clock[n] for n in names)
            doc["instructions"].append({"t0": t0, "op": "barrier", "frames": names})
            clock.update(dict.fromkeys(names, t0))
            continue
        inst = {"t0": t0, "frame": frame}
        if what in ("sx_q0", "probe", "custom"):
            inst.update(op="play", waveform=what)
        elif what in ("delay", "acquire"):
            inst.update(op=what, duration=64 + 16 * gap)
            if what == "acquire":
                inst.update(qubit=gap % 2, memory_slot=gap)
        else:
            inst.update({"op": what, "phase" if what == "shift_phase" else "frequency": op("mul", P("theta"), gap)})
        doc["instructions"].append(inst)
        clock[frame] = t0 + common.duration(inst, doc)
    doc["instructions"].sort(key=lambda i: i["t0"])  # stable: one frame's instructions keep their order
    assert import_openpulse(export_openpulse(doc)) == doc
