"""Device models: native gates, timing, topology and calibrations of a hardware target.

    from qdl.compiler.device import load_device
    device = load_device("t5")              # a built-in, stdlib/devices/t5.toml
    device = load_device("my_device.toml")  # a user's file

Files follow the versioned schema `qdl.device/0.1` (docs/hardware.md);
`model` holds the frozen dataclasses, `load` parses and validates with
line-level diagnostics (codes E06xx).
"""

from qdl.compiler.device.load import DeviceError, builtin_devices, load_device, parse_device
from qdl.compiler.device.model import Device

__all__ = ["Device", "DeviceError", "builtin_devices", "load_device", "parse_device"]
