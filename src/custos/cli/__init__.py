"""The command line: `custos ...`."""
