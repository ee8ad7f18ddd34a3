"""The meaning check of the gate-level OpenPulse export: expanded through its defcals, it is the flat schedule.

The check is independent of the exporter's timing logic: the text is parsed
by the reference parser `openpulse`, every gate call is expanded through its
`defcal` (`openpulse_defcal_import`, which places the calls ASAP or ALAP on
the frames each defcal uses, as OpenPulse's implicit barriers demand, and
orders measurements and conditions by the bits they write and read) and the
result is compared with the flat schedule `schedule_circuit` makes: per frame
the same instructions at the same t0 (waveform names, durations, slots,
phases evaluated at random argument values), the same barriers, the same
conditional blocks (start, duration, frames, condition, and their bodies
frame by frame), and the same complex drive samples on every frame.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from qdl.compiler.passes.schedule import schedule_circuit
from qdl.compiler.passes.schedule.build import native_placement
from qdl.compiler.pulse import expr_json
from qdl.compiler.pulse.openpulse_defcal import defcal_program
from qdl.compiler.pulse.openpulse_defcal_import import expand_openpulse_defcal
from qdl.compiler.pulse.serialize import load


def export_circuit(circuit, method: str, device) -> tuple[str, dict]:
    """(defcal text, flat schedule document) of one circuit on `device`, from one native placement."""
    native, placement = native_placement(circuit, device)
    schedule = schedule_circuit(native, device, method, native=False, placement=placement)
    return defcal_program(native, schedule, method=method), schedule.to_json()


def random_values(doc: dict, seed: int = 7) -> dict[str, float]:
    """A random value in [-π, π) for every parameter of the document."""
    rng = np.random.default_rng(seed)
    return {p["name"]: float(rng.uniform(-np.pi, np.pi)) for p in doc["parameters"]}


def per_frame(instructions: list[dict], values: dict[str, float], branch: str = "") -> tuple[dict, dict]:
    """Per frame: the instructions' (t0, op, waveform, duration, slot, kernel, qubit) and their evaluated phases.

    Barriers and conditional blocks are listed under `<barrier>` / `<conditional>`; a block's body goes to
    its frames with its ops marked `if <t0>:` (so a body instruction never matches an unconditional one).
    """
    keys: dict = defaultdict(list)
    numbers: dict = defaultdict(list)
    for inst in sorted(instructions, key=lambda i: i["t0"]):
        if inst["op"] == "barrier":
            keys[branch + "<barrier>"].append((inst["t0"], frozenset(inst["frames"])))
            continue
        if inst["op"] == "conditional":
            condition = (tuple(inst["condition"]["bits"]), inst["condition"]["value"])
            keys["<conditional>"].append((inst["t0"], inst["duration"], frozenset(inst["frames"]), condition))
            inner_keys, inner_numbers = per_frame(inst["body"], values, f"if {inst['t0']}: ")
            for frame, items in inner_keys.items():
                keys[frame] += items
            for frame, items in inner_numbers.items():
                numbers[frame] += items
            continue
        keys[inst["frame"]].append((branch + inst["op"],) + tuple(
            inst.get(k) for k in ("t0", "waveform", "duration", "memory_slot", "kernel", "qubit")))
        for k in ("phase", "frequency"):
            if k in inst:
                numbers[inst["frame"]].append(expr_json.evaluate(inst[k], values))
    return dict(keys), dict(numbers)


def assert_same_meaning(text: str, doc: dict, method: str) -> None:
    """The expanded defcal program equals the flat schedule `doc` frame by frame and sample by sample."""
    expanded = expand_openpulse_defcal(text, method)
    assert [f["name"] for f in expanded["frames"]] == [f["name"] for f in doc["frames"]]
    assert {n: w["duration"] for n, w in expanded["waveforms"].items()} == \
        {n: w["duration"] for n, w in doc["waveforms"].items()}
    values = random_values(doc)
    got_keys, got_numbers = per_frame(expanded["instructions"], values)
    want_keys, want_numbers = per_frame(doc["instructions"], values)
    assert got_keys == want_keys
    assert got_numbers.keys() == want_numbers.keys()
    for frame in want_numbers:
        np.testing.assert_allclose(got_numbers[frame], want_numbers[frame], rtol=0, atol=1e-12, err_msg=frame)
    flat = load(doc)
    again = load({**doc, "instructions": expanded["instructions"]})  # also validates the conditional blocks
    want, got = flat.samples(values), again.samples(values)
    for frame in want:
        np.testing.assert_allclose(got[frame], want[frame], rtol=0, atol=1e-12, err_msg=frame)
