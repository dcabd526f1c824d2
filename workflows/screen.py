"""``python -m workflows.screen FILE|-`` and ``--batch FILE|-``: the screening command.

Reads one intake document (or, with --batch, a JSON array of them), prints the screening
result(s) as JSON on stdout and exits 0. Any input it cannot screen (not JSON, not an intake,
an unreadable file) prints a JSON error naming each bad field and exits 2: never a traceback.
In a batch, each invalid document gets an error object in its place and the exit status is 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from workflows.screening import InvalidIntake, RuleDataError, screen_document

EXIT_OK = 0
EXIT_INVALID = 2


class UnreadableInput(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.payload = {
            "error": kind,
            "message": message,
            "errors": [{"field": "(document)", "message": message}],
        }


def _read(source: str, stdin: TextIO) -> Any:
    try:
        if source == "-":
            text = stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UnreadableInput("unreadable_input", f"Cannot read {source}: {reason}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInput(
            "not_json",
            f"The input is not valid JSON: {error.msg} "
            f"at line {error.lineno}, column {error.colno}.",
        ) from None


def _screen_batch(documents: Any) -> tuple[list[dict[str, Any]], bool]:
    if not isinstance(documents, list):
        raise UnreadableInput("not_a_batch", "--batch needs a JSON array of intake documents.")
    results: list[dict[str, Any]] = []
    all_valid = True
    for index, document in enumerate(documents):
        try:
            results.append(screen_document(document))
        except InvalidIntake as invalid:
            all_valid = False
            results.append({"index": index, **invalid.to_dict()})
    return results, all_valid


def main(
    argv: list[str] | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workflows.screen",
        description="Screen LDN intake documents (screening-contract.md).",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("file", nargs="?", help="an intake document, or - for standard input")
    group.add_argument("--batch", metavar="FILE", help="a JSON array of intake documents, or -")
    args = parser.parse_args(argv)

    try:
        if args.batch is not None:
            results, all_valid = _screen_batch(_read(args.batch, stdin))
            # json.dumps, not json.dump: only the one-shot encoder is the C one; streaming
            # to a file goes through the pure-Python encoder, several times slower.
            stdout.write(json.dumps(results, ensure_ascii=False))
            stdout.write("\n")
            return EXIT_OK if all_valid else EXIT_INVALID
        result = screen_document(_read(args.file, stdin))
    except UnreadableInput as unreadable:
        json.dump(unreadable.payload, stdout, ensure_ascii=False, indent=2)
        stdout.write("\n")
        return EXIT_INVALID
    except InvalidIntake as invalid:
        json.dump(invalid.to_dict(), stdout, ensure_ascii=False, indent=2)
        stdout.write("\n")
        return EXIT_INVALID
    except RuleDataError as broken:
        # A deployment fault, not the caller's: say which rule file and entry, exit 1.
        print(str(broken), file=sys.stderr)
        return 1
    json.dump(result, stdout, ensure_ascii=False, indent=2)
    stdout.write("\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
