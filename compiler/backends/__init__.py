"""Code generators that turn a circuit IR into something executable (LLVM kernels)."""
