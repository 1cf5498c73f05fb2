"""hiddenspof: find the backups that would fail together with what they protect.

The public entry points: ``inventory.load`` reads an inventory, ``model.build``
gives its failure model, ``analysis.analyze`` runs every analysis into the
contract's JSON, ``report.render`` renders the notebooks into reports.
"""

from .errors import HiddenspofError, InventoryError, Problem
from .inventory import Inventory, load

__all__ = ["HiddenspofError", "Inventory", "InventoryError", "Problem", "load"]
__version__ = "0.1.0"
