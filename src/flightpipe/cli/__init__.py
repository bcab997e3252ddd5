"""The command line: one module per command group (typer + rich), no business logic.

``main`` imports the commands only when called, so importing ``flightpipe.cli.<group>`` stays cheap.
"""


def main() -> None:
    from flightpipe.cli.app import main as run

    run()
