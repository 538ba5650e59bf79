"""The ``yinsi`` command line (Typer)."""
