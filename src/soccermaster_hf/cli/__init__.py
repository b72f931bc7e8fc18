"""Command-line interface: ``soccermaster <command> ...`` (see :mod:`soccermaster_hf.cli.main`)."""
