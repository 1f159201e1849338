"""The house rules for handlers/, read from the source with `ast` (nothing is imported or run).

Each listener module owns one surface and imports no other listener module; what they share is
in the helper modules, which register nothing. bot/ names handlers only in the registration list.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.slack.app import HANDLER_MODULES

ROOT = Path(__file__).resolve().parent.parent
# The handler modules that hold shared helpers: the only ones without `register(app)`.
HELPER_MODULES = {"handlers.common", "handlers.command_text"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _handler_modules() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "handlers").glob("*.py"))
        if path.name != "__init__.py"
    }


def _imported(tree: ast.Module) -> set[str]:
    """Every module an `import` or `from … import` names, with what it imports from it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_handlers(name: str) -> bool:
    return name == "handlers" or name.startswith("handlers.")


def _has_register(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == "register" for node in tree.body)


def _assigns(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    else:
        return False
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)


def test_no_handler_module_imports_another_listener_module() -> None:
    imports = {
        name: sorted(
            imported
            for imported in _imported(tree)
            if _is_handlers(imported) and not any(imported.startswith(helper) for helper in HELPER_MODULES)
        )
        for name, tree in _handler_modules().items()
    }
    assert {name: found for name, found in imports.items() if found} == {}


def test_only_the_helper_modules_register_no_listener() -> None:
    without = {name for name, tree in _handler_modules().items() if not _has_register(tree)}
    assert without == HELPER_MODULES


def test_the_app_registers_every_listener_module() -> None:
    listeners = {name for name, tree in _handler_modules().items() if _has_register(tree)}
    assert sorted(HANDLER_MODULES) == sorted(listeners)


def test_bot_names_handlers_only_in_the_registration_list() -> None:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT).as_posix()
        found += [f"{where}: import {name}" for name in _imported(tree) if _is_handlers(name)]
        registered: set[int] = set()  # the string constants inside `HANDLER_MODULES = (...)`
        for node in ast.walk(tree):
            if _assigns(node, "HANDLER_MODULES"):
                registered.update(id(inner) for inner in ast.walk(node))
        found += [
            f"{where}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _is_handlers(node.value)
            and id(node) not in registered
        ]
    assert found == []
