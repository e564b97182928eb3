"""The layers of the README are the contract that `lint-imports` checks, and no import
hides in a function.

Imports inside functions: the project's modules are parsed with `ast`, not imported.
ruff's PLC0415 says the same file by file, but its ignore for apps.py covers the whole
file; here an import inside a function passes only in the method `ready` of an
AppConfig subclass in apps.py. Outside the rule: tests/ and bench/ (pyproject's
per-file-ignores say why) and manage.py, Django's own template.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {"tests", "bench", "node_modules", "staticfiles", "media"}
SKIPPED_FILES = {"manage.py"}

Scope = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def project_modules() -> list[Path]:
    modules = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        folders = relative.parts[:-1]
        if any(part in SKIPPED_FOLDERS or part.startswith(".") for part in folders):
            continue
        if str(relative) not in SKIPPED_FILES:
            modules.append(path)
    return modules


def is_app_config(node: ast.ClassDef) -> bool:
    return any(
        (isinstance(base, ast.Name) and base.id == "AppConfig")
        or (isinstance(base, ast.Attribute) and base.attr == "AppConfig")
        for base in node.bases
    )


def allowed(scopes: list[Scope], filename: str) -> bool:
    """Module or class level, or directly in `ready` of a module-level AppConfig
    subclass of an apps.py."""
    if not any(isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) for scope in scopes):
        return True
    if filename != "apps.py" or len(scopes) != 2:
        return False
    cls, method = scopes
    return (
        isinstance(cls, ast.ClassDef)
        and is_app_config(cls)
        and isinstance(method, ast.FunctionDef)
        and method.name == "ready"
    )


def imports_in_functions(source: str, where: str) -> list[str]:
    """`where:line` of each import inside a function that the rule does not allow."""
    found: list[str] = []
    filename = Path(where).name

    def visit(node: ast.AST, scopes: list[Scope]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom) and not allowed(scopes, filename):
                found.append(f"{where}:{child.lineno}")
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*scopes, child])
            else:
                visit(child, scopes)

    visit(ast.parse(source, filename=where), [])
    return found


def test_it_catches_an_import_in_a_function_and_spares_ready():
    """The walker's own cases, so that a green run means something."""
    ready = (
        "from django.apps import AppConfig\n"
        "class C(AppConfig):\n"
        "    def ready(self):\n"
        "        from . import signals\n"
    )
    assert imports_in_functions(ready, "x/apps.py") == []
    # The same method anywhere but apps.py, an import in another method, in a function
    # nested in ready, in a `ready` of a class that is no AppConfig, in a module function.
    assert imports_in_functions(ready, "x/services.py") == ["x/services.py:4"]
    other = ready.replace("def ready", "def other")
    assert imports_in_functions(other, "x/apps.py") == ["x/apps.py:4"]
    nested = ready + "        def inner():\n            import json\n"
    assert imports_in_functions(nested, "x/apps.py") == ["x/apps.py:6"]
    not_config = ready.replace("class C(AppConfig)", "class C(object)")
    assert imports_in_functions(not_config, "x/apps.py") == ["x/apps.py:4"]
    module_function = "def ready():\n    import json\n"
    assert imports_in_functions(module_function, "x/apps.py") == ["x/apps.py:2"]
    in_a_branch = "def f(x):\n    if x:\n        import json\n"
    assert imports_in_functions(in_a_branch, "x/gate.py") == ["x/gate.py:3"]


def test_it_walks_the_apps_their_migrations_and_config():
    walked = {str(path.relative_to(ROOT)) for path in project_modules()}
    assert {"config/settings.py", "points/gate.py", "stalls/apps.py"} <= walked
    assert any("/migrations/" in name for name in walked)
    assert not any(name.startswith(("tests/", "bench/", ".venv/")) for name in walked)


def test_no_module_imports_inside_a_function_but_app_configs_ready():
    found = []
    for path in project_modules():
        where = str(path.relative_to(ROOT))
        found += imports_in_functions(path.read_text(encoding="utf-8"), where)
    assert not found, f"imports inside a function (README: only AppConfig.ready()): {found}"


def contract() -> dict:
    importlinter = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]
    (layers,) = [c for c in importlinter["contracts"] if c["type"] == "layers"]
    return {"root_packages": importlinter["root_packages"], "layers": layers["layers"]}


def contract_layers() -> list[frozenset[str]]:
    """pyproject's layers, top first; `a | b` is one layer of independent siblings."""
    return [frozenset(name.strip() for name in layer.split("|")) for layer in contract()["layers"]]


def written_layers(document: str = "README.md") -> list[frozenset[str]]:
    """The sentence "The layers run one way: `a` -> `b` | `c` (...) -> ... ." of a
    document: one layer per `->`, the names in backquotes, prose in parentheses skipped."""
    text = (ROOT / document).read_text(encoding="utf-8")
    sentence = re.search(r"The layers run one way:(.*?)\.(?:\s|$)", text, re.DOTALL)
    assert sentence, f'{document} has no sentence "The layers run one way: ..."'
    steps = re.sub(r"\([^)]*\)", "", sentence.group(1)).split("->")
    return [frozenset(re.findall(r"`(\w+)`", step)) for step in steps]


def spelled(layers: list[frozenset[str]]) -> str:
    return " -> ".join(" | ".join(sorted(layer)) for layer in layers)


@pytest.mark.parametrize("document", ["README.md", "docs/conventions.md"])
def test_the_docs_name_the_layers_of_the_contract_in_its_order(document):
    written, pyproject = spelled(written_layers(document)), spelled(contract_layers())
    assert written == pyproject, f"{document}: {written}\npyproject.toml: {pyproject}"


def test_the_sentence_parser_sees_side_by_side_layers():
    layers = written_layers()
    assert layers[0] == {"config"} and layers[-1] == {"core"}
    assert frozenset({"rankings", "moderation"}) in layers


def test_every_package_of_the_project_is_in_the_contract():
    """A new app joins the layers: a top-level package outside them is checked by nobody."""
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in SKIPPED_FOLDERS
    }
    in_layers = set().union(*contract_layers())
    assert packages == set(contract()["root_packages"]) == in_layers
