"""Qubit layout and routing on a device's coupling map: the `layout` and `route` passes.

    qdlc compile prog.qdl --passes 'layout{device=t5},route{device=t5},to-native{device=t5}'

`coupling` (the map as a networkx graph and distance matrix), `sabre` (SWAP
insertion on plain data), `layout` and `routing` (the passes), `common`
(what they share: the DAG of a circuit, relabelling, the `LayoutReport`).
docs/hardware.md, "Layout and routing", describes them.
"""

from qdl.compiler.passes.route.common import LayoutReport
from qdl.compiler.passes.route.coupling import CouplingMap
from qdl.compiler.passes.route.layout import Layout, sabre_layout
from qdl.compiler.passes.route.routing import Route, Routed, place_and_route, route_circuit

__all__ = ["CouplingMap", "Layout", "LayoutReport", "Route", "Routed", "place_and_route", "route_circuit", "sabre_layout"]
