"""Entry point of the ``mjquery`` command: dispatches to the sub-commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        from mjquery.sandbox.cli import main as sandbox_main

        return sandbox_main(args[1:])
    print("usage: mjquery sandbox [options]", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
