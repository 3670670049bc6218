# nbconvert configuration for executing examples/gradient_tape.ipynb headless with Deno's kernel:
#
#   jupyter nbconvert --config tests/notebook/nbconvert_config.py --to notebook --execute ...
#
# Why it exists: Deno's kernel (seen with 2.9.6) sometimes publishes a cell's `status: idle`
# before some of that cell's outputs (stream, display_data, even execute_result). Every such
# message still names its cell's request as parent, so a live front end such as JupyterLab files
# it under the right cell, but nbclient (what `nbconvert --execute` runs) stops listening for a
# cell at its idle and silently drops whatever comes later. The executed notebook then misses
# outputs at random.
#
# The fix below replaces nbclient's per-cell output loop with one that (1) files every message
# under the cell whose request is its parent, including cells that already finished, and (2)
# after a cell's idle keeps listening until the kernel has been quiet for a moment, so that late
# outputs land before the next cell starts (a longer wait after the last code cell). Nothing else
# about nbconvert changes. If nbclient's internals ever differ from what this expects, it warns
# and leaves nbclient alone.
import inspect
import sys
from queue import Empty

from nbclient.client import NotebookClient
from nbclient.exceptions import CellExecutionComplete

# Seconds of silence after a cell's idle before the next cell runs, and after the last one.
QUIET_AFTER_CELL = 0.1
QUIET_AFTER_LAST_CELL = 1.0


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value


async def _poll_output_msg(self, parent_msg_id, cell, cell_index):
    # Every cell this client has run, by the msg_id of its execute request.
    cells = self.__dict__.setdefault("_gradtape_cells", {})
    cells[parent_msg_id] = (cell, cell_index)
    code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
    quiet = QUIET_AFTER_LAST_CELL if code_cells and cell_index == code_cells[-1] else QUIET_AFTER_CELL
    idle = False
    while True:
        try:
            msg = await _maybe_await(
                self.kc.iopub_channel.get_msg(timeout=quiet if idle else None)
            )
        except Empty:
            return  # idle seen, and nothing more for `quiet` seconds
        target = cells.get(msg["parent_header"].get("msg_id"))
        if target is None:
            continue  # not from an execute request of this notebook (kernel_info and the like)
        try:
            self.process_message(msg, *target)
        except CellExecutionComplete:
            if target[0] is cell:
                idle = True


_original = getattr(NotebookClient, "_async_poll_output_msg", None)
if _original is not None and list(inspect.signature(_original).parameters) == [
    "self",
    "parent_msg_id",
    "cell",
    "cell_index",
]:
    NotebookClient._async_poll_output_msg = _poll_output_msg
else:
    print(
        "nbconvert_config.py: nbclient's NotebookClient._async_poll_output_msg is not what this "
        "file expects; outputs that Deno's kernel sends after a cell's idle may be lost",
        file=sys.stderr,
    )
