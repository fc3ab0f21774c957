"""How the bench prints: aligned tables, and one line per target saying MET or NOT MET."""

from components.model.text_table import text_table


def target(goal: str, figure: str, met: bool) -> None:
    print(f"target: {goal}: {figure}  {'MET' if met else 'NOT MET'}")


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print(text_table(header, rows, rule=True))
