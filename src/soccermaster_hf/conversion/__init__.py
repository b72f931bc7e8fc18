"""Checkpoint converters (authors release, SigLIP/SigLIP2 initialisation).

`convert_from_hub("xleprime/SoccerMaster", output_dir)` downloads and converts the authors' release;
`convert_official_release(folder, output_dir)` converts a local copy of it. Both write complete Hub folders.
"""

from .release import convert_from_hub

__all__ = ["convert_from_hub"]
