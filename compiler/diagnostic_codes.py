"""Every diagnostic code qdl emits, with a title and a longer explanation.

`qdlc explain CODE` prints the explanation; tests check that every code the
compiler can emit is listed here.  Codes by phase: E00xx files, E01xx syntax (and OpenQASM import),
E02xx names and types, E03xx quantum semantics, E04xx autodiff,
E06xx device files and hardware targets, W02xx warnings.
"""

from __future__ import annotations

import textwrap

CODES: dict[str, tuple[str, str]] = {
    "E0001": ("cannot read a file",
              "The file does not exist or cannot be read. Check the path and its permissions."),
    "E0101": ("unexpected token",
              "The parser found a token that cannot come here. The message lists what it expected; "
              "a missing `;` is the most common cause, so the caret points just after the previous "
              "token."),
    "E0102": ("unexpected character",
              "A character that is not part of the language, such as `#`, `$` or `'`. Comments are "
              "`// ...` or `/* ... */`; strings use double quotes."),
    "E0103": ("unexpected end of file",
              "The file ended inside a declaration or a block, usually because a `}` or `;` is missing."),
    "E0104": ("unterminated string or comment",
              "A string must close with `\"` on the same line; a block comment must close with `*/`."),
    "E0105": ("file is not UTF-8",
              "qdl sources are UTF-8 text. Re-save the file as UTF-8."),
    "E0110": ("OpenQASM construct not supported",
              "qdl imports the gate-level subset of OpenQASM 3: qubit and bit registers, `input` "
              "parameters, constants, gate definitions with modifiers, `for` loops over ranges and "
              "sets, `if` on measured bits, measurement, reset, barrier, `gphase` and `U`. "
              "Subroutines, `while`, `extern`, pulse calibrations, timing, classical arrays and "
              "assignments are reported rather than imported wrongly."),
    "E0111": ("opaque gate without a definition",
              "An OpenQASM 2 `opaque` gate has no body, so it cannot be simulated. Define it with "
              "`gate`."),
    "E0112": ("bad observable for an OpenQASM program",
              "The observable given with `observable=` or `--observable` must be a sum of Pauli "
              "products, written `0.5*Z0 Z1 + 0.3*X2` or `0.5 * Z[0] Z[1] + 0.3 * X[2]`; it only "
              "applies to OpenQASM programs."),
    "E0201": ("unknown name",
              "No constant, argument, register, observable or loop variable of this name is visible "
              "here. Names are visible after their declaration in the same block or an enclosing one; "
              "top-level constants, observables and gates are visible in the whole file and in files "
              "that import it."),
    "E0202": ("unknown gate",
              "The name is neither a built-in gate (see the gate table in docs/language.md) nor a "
              "`gate` defined in this file or an imported one."),
    "E0203": ("wrong number of gate parameters",
              "A gate was given more or fewer angles (or parameters) than it takes."),
    "E0204": ("wrong number of qubits",
              "A gate was given more or fewer qubit operands than it acts on. With `ctrl @` or "
              "`negctrl @`, the control qubits come first."),
    "E0205": ("type mismatch",
              "A value of one kind was used where another is needed: for example a qubit in "
              "arithmetic, an array as a gate angle, or a number where a qubit is expected."),
    "E0206": ("shape mismatch",
              "An array or register does not have the size or number of dimensions that its use "
              "requires, for example a `float[3]` passed to a gate parameter declared `float[n, 3]`."),
    "E0207": ("value must be known at compile time",
              "Register sizes, loop bounds, indices, `if` conditions and `pow` exponents are fixed "
              "when the program compiles. Circuit arguments are only known when the circuit runs, so "
              "they can appear in gate angles but not in these places. Use a `const`."),
    "E0208": ("defined twice",
              "Two declarations of the same name in one scope, or a user gate that reuses the name of "
              "a built-in gate."),
    "E0209": ("recursive gate",
              "Gates are inlined where they are called, so a gate that calls itself (directly or "
              "through others) would never finish expanding. Write the repetition as a `for` loop."),
    "E0210": ("import not found",
              "`import \"path\";` looks relative to the importing file, then in the standard library, "
              "and nowhere else. Absolute paths are not allowed."),
    "E0211": ("import cycle",
              "Files import each other in a cycle. Move the definitions they share into a third file."),
    "E0212": ("index out of range",
              "An index or slice lies outside the array or register, or a bit register is compared "
              "with a value it can never hold."),
    "E0213": ("bad return value",
              "A circuit returns measurement results: `expval(H)`, `var(H)`, `probs(q)`, `sample(q)`, "
              "`state()` or a tuple of them. If the circuit declares a return type after `->`, the "
              "results must match it: expval/var are `float`, probs of k qubits `float[2**k]`, state "
              "`complex[2**n]`, sample of k qubits `int[k]` per shot."),
    "E0214": ("missing return",
              "Every circuit ends with a `return` statement that names its results."),
    "E0216": ("bad modifier",
              "`ctrl(n) @` and `negctrl(n) @` need a positive count of control qubits."),
    "E0217": ("invalid arithmetic",
              "A constant expression divides by zero or leaves a function's domain (e.g. `log(0)`, "
              "`sqrt(-1)`), or does not give a finite real number."),
    "E0218": ("unknown function",
              "Available functions: sin, cos, tan, exp, log, sqrt, arcsin, arccos, arctan, len, float, "
              "floor, ceil, round, and "
              "sum(v in ...: ...). Results (expval, var, probs, sample, state) only appear in `return`."),
    "E0219": ("wrong number of function arguments",
              "A function or result was called with the wrong number of arguments."),
    "E0220": ("cannot loop over this value",
              "`for` loops run over a range `a..b`, a constant array (its rows) or a register."),
    "E0221": ("trainable argument is not a float",
              "Only `float` arguments (and float arrays) can be marked `param`."),
    "E0222": ("statement not allowed here",
              "Qubit and bit declarations and `return` belong in circuits, not in gates; `return` "
              "must be the last statement of a circuit; results are only used in `return`."),
    "E0301": ("a qubit used twice in one gate",
              "A gate acts on distinct qubits: the same qubit cannot be two operands (or both a "
              "control and a target) of one gate."),
    "E0302": ("register sizes differ",
              "When a gate is applied to whole registers it is applied element by element, so the "
              "registers must have the same size; a measurement into bits needs as many bits as qubits."),
    "E0303": ("observable qubit out of range",
              "An observable refers to a qubit index the circuit does not have, or a negative index."),
    "E0304": ("observable is not a Hermitian constant",
              "Observable coefficients must be compile-time real numbers. A product of Pauli operators "
              "on the same qubit can have an imaginary weight (`X[0] Y[0] = i Z[0]`), which is not "
              "Hermitian."),
    "E0305": ("too many qubits for memory",
              "Simulating n qubits needs a state vector of 2**n complex numbers (16 bytes each). The "
              "limit is three quarters of the machine's memory unless `--max-memory` says otherwise."),
    "E0306": ("circuit too large to unroll",
              "Loops and gates are unrolled at compile time; this circuit would exceed the operation "
              "budget. Raise it with `--max-ops` if the size is intended."),
    "E0307": ("modifier on a non-unitary operation",
              "`ctrl`, `negctrl`, `inv` and `pow` apply to unitary gates only, not to gates whose body "
              "measures or resets."),
    "E0308": ("fractional power not supported",
              "`pow(k) @` with a non-integer k is defined for single rotation-like gates, whose angle "
              "is scaled. Use an integer exponent otherwise."),
    "E0309": ("unsupported classical condition",
              "Only gates can be conditioned on measured bits: a measurement or reset inside such an "
              "`if` is an error. A condition may read at most 8 bits"),
    "W0301": ("OpenQASM pragma or annotation ignored",
              "Pragmas (`#pragma ...`) and annotations (`@...`) carry instructions for other tools; "
              "qdl reads past them."),
    "E0401": ("gate has no differentiation rule",
              "A gate whose angle depends on a differentiated argument has no generator spectrum in "
              "the gate table, so no parameter-shift rule exists for it. Differentiate with "
              "`method=\"finite-diff\"`, or write the gate with rotations that have shift rules."),
    "E0402": ("gate has no generator for the metric tensor",
              "The metric tensor (quantum natural gradient) needs every trained gate to be a "
              "rotation exp(-iθG) whose generator G follows from the gate table (gates with several "
              "angles are split into such rotations first). Write the gate with rotations that have "
              "generators (rx, ry, rz, phase, crx, rzz, ...)."),
    "E0601": ("device file is not valid TOML",
              "The device file breaks TOML 1.0 syntax at the marked place: device files are `key = value` lines, `[table]` headers and `[[array-of-tables]]` headers (docs/hardware.md)."),
    "E0602": ("unknown device schema",
              "The `schema` key names a version of the device format this qdl does not read. Write `schema = \"qdl.device/0.1\"` and follow docs/hardware.md."),
    "E0603": ("unknown key in a device file",
              "The key is not part of the device schema, often a misspelling; the help line suggests the closest known key. docs/hardware.md lists every key."),
    "E0604": ("missing key in a device file",
              "A required key of the device schema is absent from the marked table. docs/hardware.md lists the required keys of every table."),
    "E0605": ("wrong type in a device file",
              "The value has the wrong type for its key, e.g. a string where a number or an integer number of samples is expected."),
    "E0606": ("device value out of range",
              "A device value is outside its range: a pulse amplitude over 1, a non-positive dt, sigma or timing value, a per-qubit array of the wrong length, a width longer than its pulse, or qubit entries out of order."),
    "E0607": ("pulse duration off the timing grid",
              "Every pulse duration must be a multiple of `[timing] granularity` samples and at least `min_length` samples; the help line gives the nearest allowed durations. Virtual gates take no time."),
    "E0608": ("bad coupling map",
              "The coupling map names a qubit the device does not have, couples a qubit to itself, lists a pair that is not an edge, or leaves some qubits unreachable from the others."),
    "E0609": ("native gate unknown or without calibration",
              "Every native gate must be a gate of qdl's table (or `measure`, `delay`, `barrier`, `reset`) and, except `delay` and `barrier`, have a `[calibrations.<gate>]` entry; every calibrated two-qubit direction needs its calibration."),
    "E0610": ("unknown device",
              "The name is not a built-in device (`stdlib/devices/*.toml`) and not a path to a device file. The help line lists the built-in devices."),
    "E0611": ("device native set not supported",
              "`to-native` targets devices with `rz` plus `sx` (or `gpi2`) for one-qubit gates and `ecr`, `ms` or `cx` as entangler; the device lists something else."),
    "E0612": ("circuit does not fit the device",
              "The `layout` and `route` passes place each program qubit on its own physical qubit, so a circuit cannot have more qubits than the device. Target a larger device (`falcon27`, `ion11`) or use fewer qubits."),
    "W0201": ("unused argument",
              "A circuit argument is never used; callers must still pass it."),
    "W0202": ("unused qubit",
              "A declared qubit is never touched by a gate, a measurement or a result."),
}


def explain(code: str) -> str | None:
    """The explanation text for a code like `E0301`, or None if unknown."""
    entry = CODES.get(code.upper())
    if entry is None:
        return None
    title, text = entry
    return f"{code.upper()}: {title}\n\n" + textwrap.fill(text, width=80)
