"""`qdlc schedule` and `qdlc verify-schedule`: pulse schedules from the command line (docs/pulse.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click import UsageError

from qdl.cli_common import (
    EXIT_PROGRAM_ERROR, collect_args, compile_checked, compile_options, pick_circuit, write_output,
)

EMITTERS = ("json", "openpulse", "openpulse-defcal", "quil-t")


@click.command("schedule")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--device", required=True, metavar="DEV", help="A built-in device (`t5`) or a device file (.toml).")
@click.option("--circuit", "circuit_name", default=None, metavar="NAME",
              help="Which circuit to schedule (needed when the file has several).")
@click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
              help="An argument's value, recorded with the schedule's parameters (they stay symbolic). Repeatable.")
@click.option("--method", type=click.Choice(["alap", "asap"]), default="alap", show_default=True)
@click.option("--emit", type=click.Choice(EMITTERS), default="json", show_default=True,
              help="json: the qdl.pulse_schedule document; openpulse: OpenQASM 3 + OpenPulse (one timed cal block); "
                   "openpulse-defcal: defcals and the gate-level circuit; quil-t: Quil-T.")
@click.option("--plot", "plot_path", default=None, metavar="OUT.png", help="Also draw the schedule's timeline.")
@click.option("--gradient", is_flag=True,
              help="Emit the qdl.pulse_gradient document: the schedule, its parameter-shift evaluations as "
                   "phase offsets and the recombination recipe (with --emit json).")
@click.option("--wrt", multiple=True, metavar="NAME", help="With --gradient: differentiate these arguments only.")
@click.option("-o", "--output", default=None, metavar="PATH", help="Write here instead of stdout.")
def schedule(file: str, device: str, circuit_name, arg_texts, method: str, emit: str, plot_path, gradient: bool,
             wrt: tuple[str, ...], output) -> None:
    """Lower a circuit of FILE to a pulse schedule on a device and print it."""

    if (gradient and emit != "json") or (wrt and not gradient):
        raise UsageError("--gradient goes with --emit json, and --wrt with --gradient")
    result = compile_checked(file, compile_options(None, None), "rich")
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = pick_circuit(result, circuit_name, file)
    values = collect_args(arg_texts)
    _check_names(values, {a.name for a in circuit.arguments}, circuit.name)
    if wrt:
        _check_names(dict.fromkeys(wrt), {a.name for a in circuit.arguments}, circuit.name, "--wrt")
    doc = _document(circuit, device, method, values or None, gradient, wrt)
    if emit == "openpulse-defcal":  # gate level: built from the circuit and the device's calibrations
        write_output(_exporter("qdl.compiler.pulse.openpulse_defcal", "export_openpulse_defcal", "--emit "
                                "openpulse-defcal")(circuit, device, method, values=values or None), output)
    else:
        write_output(_emit(doc, emit), output)
    if plot_path:
        schedule_doc = doc["schedule"] if gradient else doc
        _exporter("qdl.runtime.pulse.plot", "plot_timeline", "--plot")(schedule_doc, plot_path)


def _document(circuit, device: str, method: str, values: dict | None, gradient: bool, wrt: tuple[str, ...]) -> dict:
    """The schedule's JSON document, or with `gradient` the qdl.pulse_gradient one."""
    from qdl.compiler.passes.schedule import schedule_circuit
    if not gradient:
        return schedule_circuit(circuit, device, method, values=values).to_json()
    from qdl.compiler.passes.schedule.gradient import gradient_schedules
    return gradient_schedules(circuit, device, method, wrt=list(wrt) or None, values=values).to_json()


def _check_names(values: dict, names: set[str], circuit: str, option: str = "--arg") -> None:
    unknown = sorted(set(values) - names)
    if unknown:
        raise UsageError(f"{option} {unknown[0]}: circuit `{circuit}` has no such argument; "
                         f"its arguments: {', '.join(sorted(names)) or 'none'}")


def _emit(doc: dict, emit: str) -> str:
    if emit == "json":
        return json.dumps(doc, indent=2) + "\n"
    if emit == "openpulse":
        return _exporter("qdl.compiler.pulse.openpulse", "export_openpulse", "--emit openpulse")(doc)
    return _exporter("qdl.compiler.pulse.quilt", "export_quilt", "--emit quil-t")(doc)


def _exporter(module: str, name: str, option: str):
    """The exporter function, imported only when asked for."""
    import importlib
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise UsageError(f"{option} is not available: this qdl has no `{module}.{name}`") from None


@click.command("verify-schedule")
@click.argument("schedule_file", type=click.Path(dir_okay=False))
@click.option("--device", required=True, metavar="DEV", help="The device to simulate (built-in name or .toml).")
@click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
              help="A parameter's value (overrides the document's). Repeatable.")
@click.option("--min-fidelity", type=click.FloatRange(0, 1), default=0.999, show_default=True,
              help="Exit with status 1 when the average gate fidelity is below this.")
@click.option("--levels", type=click.IntRange(min=2), default=None, help="Transmon levels (default: the device's).")
@click.option("--basis", type=click.Choice(["dressed", "bare"]), default="dressed", show_default=True,
              help="Compare coupled qubits in the dressed basis (device frequencies are dressed) or the bare one.")
@click.option("--noise", is_flag=True,
              help="Include decoherence: a Lindblad simulation with the device's t1_us/t2_us (needs scipy).")
def verify_schedule(schedule_file: str, device: str, arg_texts, min_fidelity: float, levels, basis: str,
                    noise: bool) -> None:
    """Simulate a JSON pulse schedule on a device model and compare it with the gates it came from."""
    from qdl.compiler.device import load_device
    from qdl.compiler.pulse.serialize import load
    from qdl.runtime.pulse.verify import verify

    path = Path(schedule_file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {schedule_file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{schedule_file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    schedule = load(doc)
    values = collect_args(arg_texts)
    _check_names(values, {p.name.split("[")[0] for p in schedule.parameters}, schedule.circuit or schedule_file)
    try:
        result = verify(schedule, load_device(device), values=values, levels=levels, basis=basis, noise=noise)
    except ValueError as exc:  # a parameter without a value, a device without the model's physics
        hint = " (give it with --arg NAME=VALUE)" if "no value for the parameter" in str(exc) else ""
        raise UsageError(f"{schedule_file}: {exc}{hint}") from None
    except ImportError as exc:  # --noise without scipy
        raise UsageError(f"--noise needs scipy: pip install 'qdl[pulse]' ({exc})") from None
    qubits = ", ".join(str(q) for q in result.qubits)
    click.echo(f"schedule  {schedule.circuit or path.name} on {schedule.device_name}, qubits {qubits}, "
               f"{schedule.duration} dt")
    click.echo(f"fidelity  {result.fidelity:.8f}" + (" (with T1/T2)" if noise else ""))
    if noise:
        click.echo(f"closed    {result.unitary_fidelity:.8f} (without T1/T2)")
    click.echo(f"leakage   {result.leakage:.3e}")
    if result.fidelity < min_fidelity:
        click.echo(f"error: fidelity {result.fidelity:.6f} is below --min-fidelity {min_fidelity}", err=True)
        sys.exit(EXIT_PROGRAM_ERROR)
