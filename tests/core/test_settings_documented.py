"""docs/settings.md lists exactly the environment variables the project reads.

The project's modules (tests, bench and the virtualenv aside) are parsed with `ast`, not
imported: every `os.environ.get("NAME")`, `os.environ["NAME"]`, `os.getenv("NAME")`,
`"NAME" in os.environ`, and every call with a literal name to a helper that reads the
variable its parameter names (`env_int("NAME", 5)` in config/settings.py) is a read.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_PAGE = ROOT / "docs" / "settings.md"
# Not the project's running code: its tests and benchmarks read their own variables
# (benchmarks: docs/benchmarks.md), and the folders of tools and data.
SKIPPED_FOLDERS = {"tests", "bench", ".venv", "node_modules", "staticfiles", "media"}
DOCUMENTED_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def project_modules() -> list[Path]:
    modules = []
    for path in sorted(ROOT.rglob("*.py")):
        folders = path.relative_to(ROOT).parts[:-1]
        if any(part in SKIPPED_FOLDERS or part.startswith(".") for part in folders):
            continue
        modules.append(path)
    return modules


def is_environ(node: ast.AST) -> bool:
    """`os.environ`, or `environ` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def read_name_argument(node: ast.AST) -> ast.AST | None:
    """The expression naming the variable when `node` reads the environment, else None."""
    if isinstance(node, ast.Call):
        func = node.func
        reads = (
            isinstance(func, ast.Attribute) and func.attr == "get" and is_environ(func.value)
        ) or (
            (isinstance(func, ast.Attribute) and func.attr == "getenv")
            or (isinstance(func, ast.Name) and func.id == "getenv")
        )
        if reads and node.args:
            return node.args[0]
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and is_environ(node.value)
    ):
        return node.slice
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and is_environ(node.comparators[0])
    ):
        return node.left
    return None


def literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class EnvironmentReads(ast.NodeVisitor):
    """Literal names read, helpers (functions reading the variable a parameter names), and
    reads whose name is neither a literal nor a helper's parameter."""

    def __init__(self, where: str):
        self.where = where
        self.names: dict[str, str] = {}
        self.helpers: set[str] = set()
        self.dynamic: list[str] = []
        self.functions: list[ast.FunctionDef] = []

    def visit_FunctionDef(self, node):
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def generic_visit(self, node):
        argument = read_name_argument(node)
        if argument is not None:
            name = literal(argument)
            if name is not None:
                self.names.setdefault(name, f"{self.where}:{node.lineno}")
            elif (
                self.functions
                and isinstance(argument, ast.Name)
                and argument.id in {parameter.arg for parameter in self.functions[-1].args.args}
            ):
                self.helpers.add(self.functions[-1].name)
            else:
                self.dynamic.append(f"{self.where}:{node.lineno}")
        super().generic_visit(node)


def helper_calls(tree: ast.AST, helpers: set[str], where: str) -> dict[str, str]:
    names = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        name = literal(node.args[0])
        if called in helpers and name is not None:
            names.setdefault(name, f"{where}:{node.lineno}")
    return names


def variables_read() -> tuple[dict[str, str], list[str]]:
    parsed = []
    helpers: set[str] = set()
    names: dict[str, str] = {}
    dynamic: list[str] = []
    for path in project_modules():
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
        reads = EnvironmentReads(where)
        reads.visit(tree)
        parsed.append((tree, where))
        helpers |= reads.helpers
        dynamic += reads.dynamic
        for name, place in reads.names.items():
            names.setdefault(name, place)
    for tree, where in parsed:
        for name, place in helper_calls(tree, helpers, where).items():
            names.setdefault(name, place)
    return names, dynamic


def variables_documented() -> set[str]:
    """The names in the first cell of every table row of docs/settings.md."""
    documented = set()
    for line in SETTINGS_PAGE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        documented |= set(DOCUMENTED_NAME.findall(first_cell))
    return documented


def test_it_finds_the_reads_of_settings_and_its_helpers():
    """The parser sees a plain read, a helper's read and a read outside config/."""
    names, _ = variables_read()
    assert names["SECRET_KEY"].startswith("config/settings.py:")
    assert names["NUM_PROXIES"].startswith("config/settings.py:")  # env_int(...)
    assert names["ALLOWED_HOSTS"].startswith("config/settings.py:")  # env_list(...)
    assert names["DEBUG"].startswith("config/settings.py:")  # env_bool(...)
    assert "ADMIN_PASSWORD" in names  # accounts/management/commands/ensure_admin.py


def test_it_documents_every_variable_the_project_reads():
    """Every variable read with a literal name has its row in docs/settings.md."""
    names, _ = variables_read()
    missing = {name: place for name, place in names.items() if name not in variables_documented()}
    assert not missing, f"read but not in docs/settings.md: {missing}"


def test_it_documents_no_variable_nobody_reads():
    """docs/settings.md lists no variable the project does not read."""
    names, _ = variables_read()
    stale = variables_documented() - set(names)
    assert not stale, f"in docs/settings.md but read nowhere: {sorted(stale)}"


def test_it_reads_every_variable_by_a_name_one_can_document():
    """A variable name built at run time cannot be checked against the page."""
    _, dynamic = variables_read()
    assert not dynamic, f"environment read with a computed name: {dynamic}"
