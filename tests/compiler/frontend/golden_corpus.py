"""Reading the diagnostics golden corpus: cases, `//@` headers and `//~` annotations.

The conventions are documented in `tests/golden/diagnostics/README.md`; this
module is their one implementation, shared by the golden test and the fuzzer
(which mutates the corpus's programs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qdl.compiler.diagnostics import Diagnostic, Severity, SourceMap
from qdl.compiler.driver import CompileOptions

GOLDEN_DIR = (Path(__file__).resolve().parents[2] / "golden" / "diagnostics").resolve()
AUX_DIR = GOLDEN_DIR / "imports"

# `//~ ERROR E0301`, `//~^ WARNING W0201` (line above; one `^` per line), `//~| ERROR ...`
# (same line as the previous annotation), `//~? ERROR E0001` (a diagnostic without a span).
ANNOTATION = re.compile(r"//~(?P<where>\^+|\||\?)?\s*(?P<severity>ERROR|WARNING)\s+(?P<code>[EW]\d{4})")
HEADER = re.compile(r"^\s*//@\s*(?P<key>[a-z-]+)\s*:\s*(?P<value>.*?)\s*$")
SEVERITY = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING}
OPTION_HEADERS = {"max-ops": "max_ops", "max-state-bytes": "max_state_bytes"}
KNOWN_HEADERS = set(OPTION_HEADERS) | {"xfail"}

# (file display name, 1-based line, severity, code); file and line are None without a span.
Expectation = tuple[str | None, int | None, str, str]


@dataclass(frozen=True)
class Case:
    """One corpus program: its path, `//@` headers and source text."""

    path: Path
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def snapshot(self) -> Path:
        return self.path.with_suffix(".stderr")

    @property
    def xfail(self) -> str | None:
        return self.headers.get("xfail")

    def options(self) -> CompileOptions:
        values = {OPTION_HEADERS[k]: int(v.replace("_", "")) for k, v in self.headers.items()
                  if k in OPTION_HEADERS}
        return CompileOptions(**values)


def read_text(path: Path) -> str:
    """A corpus file as text; bytes that are not UTF-8 become U+FFFD (as the compiler shows them)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def load_case(path: Path) -> Case:
    headers: dict[str, str] = {}
    for line in read_text(path).splitlines():
        match = HEADER.match(line)
        if match:
            headers[match["key"]] = match["value"]
    unknown = set(headers) - KNOWN_HEADERS
    if unknown:
        raise ValueError(f"{path.name}: unknown `//@` header(s) {sorted(unknown)}")
    return Case(path, headers)


def all_cases() -> list[Case]:
    return [load_case(p) for p in sorted(GOLDEN_DIR.glob("*.qdl"))]


def annotations(text: str, file: str) -> Counter[Expectation]:
    """The diagnostics a file's `//~` comments expect."""
    out: Counter[Expectation] = Counter()
    previous: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ANNOTATION.finditer(line):
            where = match["where"] or ""
            severity, code = SEVERITY[match["severity"]].value, match["code"]
            if where == "?":
                out[(None, None, severity, code)] += 1
                continue
            if where == "|":
                if previous is None:
                    raise ValueError(f"{file}:{number}: `//~|` with no annotation before it")
                target = previous
            else:
                target = number - len(where)
            out[(file, target, severity, code)] += 1
            previous = target
    return out


def expected(case: Case, sources: SourceMap) -> Counter[Expectation]:
    """Annotations of the case and of every auxiliary file the compilation loaded."""
    main = case.path.name
    text = sources.text(main) if main in sources else read_text(case.path)
    out = annotations(text, main)
    for aux in sorted(AUX_DIR.rglob("*.qdl")):
        name = aux.relative_to(GOLDEN_DIR).as_posix()
        if name in sources:
            out += annotations(sources.text(name), name)
    return out


def emitted(diagnostics: list[Diagnostic], sources: SourceMap) -> Counter[Expectation]:
    out: Counter[Expectation] = Counter()
    for d in diagnostics:
        span = d.span
        line = sources.line_col(span.file, span.start)[0] if span else None
        out[(span.file if span else None, line, d.severity.value, d.code)] += 1
    return out


def describe(items: Counter[Expectation]) -> str:
    rows = []
    for (file, line, severity, code), count in sorted(items.items(), key=str):
        where = f"{file}:{line}" if file else "(no span)"
        rows.append(f"  {where}: {severity}[{code}]" + (f" x{count}" if count > 1 else ""))
    return "\n".join(rows) or "  (none)"
