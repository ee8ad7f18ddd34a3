"""`qdlc compile --emit llvm|asm` and `qdlc cache info|clear`."""

from __future__ import annotations


def test_emit_llvm_and_asm(qdlc) -> None:
    llvm = qdlc("compile", "examples/ghz.qdl", "--emit", "llvm")
    assert llvm.code == 0 and "define void @qdl_kernel_" in llvm.out
    asm = qdlc("compile", "examples/ghz.qdl", "--emit", "asm")
    assert asm.code == 0 and "qdl_kernel_" in asm.out and "ret" in asm.out


def test_emit_llvm_in_single_precision_shows_the_float_kernel(qdlc) -> None:
    single = qdlc("compile", "examples/ghz.qdl", "--emit", "llvm", "--precision", "single")
    double = qdlc("compile", "examples/ghz.qdl", "--emit", "llvm")
    assert single.code == 0 and "qdl-runtime-single-" in single.out and "_f32_" in single.out
    assert "qdl-runtime-single-" not in double.out and single.out != double.out


def test_emit_llvm_explains_circuits_without_a_kernel(qdlc) -> None:
    outcome = qdlc("compile", "examples/teleport.qdl", "--emit", "llvm")
    assert outcome.code == 1 and "has no LLVM kernel yet" in outcome.err and "Traceback" not in outcome.err


def test_cache_info_and_clear(qdlc, tmp_path, monkeypatch) -> None:
    from qdl.runtime.llvm import kernel, library
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel, "_KERNELS", {})  # forget kernels linked by earlier tests
    monkeypatch.setattr(kernel, "_CIRCUITS", {})
    monkeypatch.setattr(library, "_LINKED", {})  # and the runtime library, so it is stored here too
    assert "kernels: 0" in qdlc("cache", "info").out
    assert qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.3", "--backend", "llvm").code == 0
    info = qdlc("cache", "info").out
    assert str(tmp_path / "llvm") in info and "kernels: 2" in info  # the circuit's and the runtime library
    assert "removed 2 file(s)" in qdlc("cache", "clear").out
    assert "kernels: 0" in qdlc("cache", "info").out
