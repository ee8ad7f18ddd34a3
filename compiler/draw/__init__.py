"""Seeing programs: circuit drawings (text and matplotlib) and resource reports.

    from qdl.compiler.draw import draw_text, resources
    print(draw_text(circuit, width=80))
    print(resources(circuit))          # counts at -O0..-O3

`layers` packs ops into columns (shared by both drawings), `labels` reads
gate roles from the gate table and prints angles, `text` and `mpl` draw,
`resources` counts.  docs/drawing.md shows the CLI and notebook use.
"""

from qdl.compiler.draw.layers import Layout, Placed, pack
from qdl.compiler.draw.resources import GradientCost, LevelResources, Resources, resources, state_memory
from qdl.compiler.draw.text import draw_text

__all__ = ["GradientCost", "LevelResources", "Layout", "Placed", "Resources", "draw_text", "pack", "resources",
           "state_memory"]
