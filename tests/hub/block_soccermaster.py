"""Run first in a child process (``runpy.run_path``): ``import soccermaster_hf`` then fails there, as on a machine where
the package is not installed, so only transformers' remote-code loading can provide the classes."""

import importlib.abc
import sys


class BlockSoccerMaster(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "soccermaster_hf" or name.startswith("soccermaster_hf."):
            raise ImportError("soccermaster_hf is deliberately unavailable in this process")
        return None


sys.meta_path.insert(0, BlockSoccerMaster())
