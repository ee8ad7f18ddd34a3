"""What the training examples share: the command line (`--quick`, `--plot`) and the loss-curve plot.

Each example is `python examples/NAME.py [--quick] [--plot PATH | --no-plot]`:

* `--quick` is the small budget the test suite runs (fewer steps, data
  points, graphs or restarts), a smoke test rather than the full result;
* `--plot PATH` saves the loss curves as a PNG there; by default they go to
  `<temp dir>/qdl-examples/NAME.png`, never into the repository.  Without
  matplotlib (`pip install 'qdl[plot]'`) the plot is skipped with a note.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Sequence


def parse_args(name: str, doc: str | None, argv: Sequence[str] | None) -> argparse.Namespace:
    """`--quick`, `--plot PATH` and `--no-plot`, with the plot path defaulted for `name`."""
    parser = argparse.ArgumentParser(prog=f"{name}.py", description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small budget of the test suite")
    parser.add_argument("--plot", type=Path, default=Path(tempfile.gettempdir()) / "qdl-examples" / f"{name}.png",
                        help="where to save the loss curves (PNG; default: %(default)s)")
    parser.add_argument("--no-plot", dest="plot", action="store_const", const=None, help="do not plot")
    return parser.parse_args(argv)


def save_curves(path: Path | None, curves: dict[str, Sequence[float]], *, title: str, xlabel: str,
                ylabel: str, logy: bool = False) -> None:
    """Plot each named curve against its index and save a PNG at `path` (None: no plot)."""
    if path is None:
        return
    try:
        import matplotlib
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install 'qdl[plot]')")
        return
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(range(len(values)), values, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, yscale="log" if logy else "linear")
    if len(curves) > 1:
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"loss curves saved to {path}")
