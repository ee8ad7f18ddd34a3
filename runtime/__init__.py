"""The qdl runtime: simulators and execution."""
