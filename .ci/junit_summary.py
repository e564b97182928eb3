"""Print one line, `ci: N passed, N failed, N skipped`, summed over pytest's JUnit XML files.

CI's last line must be the tests' real summary; errors count as failures. Standard library
only, so it runs before (or without) the project's virtualenv.
"""

import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own pytest output, not untrusted input


def counts(path: str) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()  # noqa: S314
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def main(paths: list[str]) -> None:
    passed = failed = skipped = 0
    for path in paths:
        try:
            p, f, s = counts(path)
        except (OSError, ET.ParseError):
            continue  # a glob that matched nothing, or a run killed mid-write
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"ci: {passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main(sys.argv[1:])
