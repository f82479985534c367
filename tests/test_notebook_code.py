"""The notebooks' code, read as source: no cell rebinds a name the notebook imported.
(Line length: tests/test_notebook_style.py.)

A rebound import breaks a re-run: after `for ..., filters in examples:` the name `filters` is a
number, and any cell that uses the `cnnlab.filters` module fails with AttributeError.
"""

import ast
import pathlib

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("0*.ipynb"))


def code_cells(path):
    """(index, source) of each code cell, IPython's %magic and !shell lines blanked out."""
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()]
            yield index, "\n".join(lines)


def module_level_statements(statements):
    """Statements that run in the notebook's namespace: into if/for/while/with/try, not into def or class."""
    for statement in statements:
        yield statement
        for field in ("body", "orelse", "finalbody"):
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from module_level_statements(getattr(statement, field, []))
        for handler in getattr(statement, "handlers", []):
            yield handler
            yield from module_level_statements(handler.body)


def target_names(target):
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


def bound_names(statement):
    """Names a statement binds in the namespace, other than by importing."""
    if isinstance(statement, ast.Assign):
        return [name for target in statement.targets for name in target_names(target)]
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return target_names(statement.target)
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [name for item in statement.items if item.optional_vars for name in target_names(item.optional_vars)]
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, ast.ExceptHandler) and statement.name:
        return [statement.name]
    return []


def imported_names(statement):
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    return []


def rebindings(cells):
    """(cell index, name) for every binding of a name that an import statement in the cells binds."""
    trees = [(index, ast.parse(source)) for index, source in cells]
    imported = set()
    for _, tree in trees:
        for statement in module_level_statements(tree.body):
            imported.update(imported_names(statement))
    found = []
    for index, tree in trees:
        for statement in module_level_statements(tree.body):
            names = bound_names(statement)
            names += [node.target.id for node in ast.walk(statement) if isinstance(node, ast.NamedExpr)]
            found += [(index, name) for name in names if name in imported]
    return found


def test_rebinding_is_found_in_loops_assignments_and_definitions():
    cells = [(0, "import numpy as np\nfrom cnnlab import filters, plots"),
             (1, "for name, filters in [('a', 1)]:\n    pass"),
             (2, "if True:\n    plots = 3\nwith open('x') as np:\n    pass"),
             (3, "def f():\n    plots = 1  # local: fine\n[filters for filters in range(2)]  # comprehension: fine")]
    assert rebindings(cells) == [(1, "filters"), (2, "plots"), (2, "np")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_no_cell_rebinds_an_imported_name(path):
    assert rebindings(list(code_cells(path))) == []

