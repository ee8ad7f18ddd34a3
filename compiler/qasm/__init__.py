"""OpenQASM 2 and 3: import into the Circuit IR, export from it."""
