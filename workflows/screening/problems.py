"""One error for data files that fail their checks: every problem at once, each naming its
file, entry and fault, so one run shows everything to mend."""

from __future__ import annotations

__all__ = ["DataProblems"]


class DataProblems(Exception):
    """Malformed data; ``problems`` names each file, entry and fault. Subclasses name the data."""

    subject = "the data"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in {self.subject}:\n{listing}")
