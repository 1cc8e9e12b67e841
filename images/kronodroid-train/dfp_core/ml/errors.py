"""One kind of failure for every bad input, reported as one line that names the input.

An entry point wraps its work in `main_guard`: an InputError (or the lineage helper's
LineageError) becomes `<program>: <message>` on stderr and exit status 1; a wrong
command-line value is refused by `ArgumentParser` as one line and exit status 2.
"""
import argparse
import logging
import sys
import traceback


# torch warns on import that triton (left out: no GPU here) cannot count flops; a CPU step never needs it.
logging.getLogger("torch.utils.flop_counter").setLevel(logging.ERROR)

class InputError(Exception):
    """An input (argument, table, lakeFS commit, MLflow server) is missing or wrong."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def positive_int(name, allow_zero=False):
    """An argparse type: an integer > 0 (or >= 0), named in the error."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got '{text}'") from None
        if value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
        return value

    return parse


def main_guard(program, work):
    """Runs `work()`; known failures become one line on stderr and exit 1."""
    from dfp_tools.lineage import LineageError

    try:
        return work() or 0
    except (InputError, LineageError) as e:
        print(f"{program}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the last line of defence: still one line, the trace to a file
        print(f"{program}: unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        if "DFP_TRACEBACK" in __import__("os").environ:
            traceback.print_exc()
        return 1
