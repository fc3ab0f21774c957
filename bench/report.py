"""How the bench prints: aligned tables, and one line per target saying MET or NOT MET."""


def target(goal: str, figure: str, met: bool) -> None:
    print(f"target: {goal}: {figure}  {'MET' if met else 'NOT MET'}")


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
