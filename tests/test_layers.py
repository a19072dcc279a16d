"""The three floors: runtime imports only core; core imports neither pipeline nor runtime.

Read from the source (every import statement, at any depth in a function too), and proved in a
fresh interpreter: loading the Masker loads no module of the lab."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "piimask"


def imported_floors(path: Path) -> set[str]:
    """The piimask floors (core, pipeline, runtime or a top-level module) a file imports."""
    pkg = list(path.relative_to(PKG.parent).with_suffix("").parts)[:-1]  # ["piimask", floor, ...]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mod = [*base, *(node.module.split(".") if node.module else [])]
                if not node.module:  # "from .. import x": x is a module of that package
                    mod = [*mod, node.names[0].name]
            else:
                mod = (node.module or "").split(".")
        elif isinstance(node, ast.Import):
            mod = node.names[0].name.split(".")
            if len(node.names) > 1:
                for alias in node.names[1:]:
                    m = alias.name.split(".")
                    if m[0] == "piimask" and len(m) > 1:
                        out.add(m[1])
        else:
            continue
        if mod and mod[0] == "piimask" and len(mod) > 1:
            out.add(mod[1])
    return out


@pytest.mark.parametrize("floor, allowed", [("core", {"core"}), ("runtime", {"core", "runtime"})])
def test_a_floor_imports_only_the_floors_below(floor, allowed):
    bad = {str(p.relative_to(PKG)): sorted(imported_floors(p) - allowed) for p in (PKG / floor).rglob("*.py")}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_layer_check_sees_a_forbidden_import(tmp_path):
    (tmp_path / "piimask" / "runtime").mkdir(parents=True)
    f = tmp_path / "piimask" / "runtime" / "x.py"
    f.write_text("def g():\n    from ..pipeline import evaluate\n")
    global PKG
    old, PKG = PKG, tmp_path / "piimask"
    try:
        assert imported_floors(f) == {"pipeline"}
    finally:
        PKG = old


def test_loading_the_masker_loads_no_module_of_the_lab():
    code = (
        "import sys, piimask.runtime.mask, piimask.runtime.aws_lambda, piimask.runtime.llm;"
        "print(sorted(m for m in sys.modules if m.startswith('piimask.pipeline')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def module_imports(path: Path) -> set[str]:
    """piimask modules a file imports (anywhere in it, a function's lazy import too), dotted."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = pkg[: len(pkg) - node.level + 1]
            if node.module:
                out.add(".".join([*base, node.module]))
            else:
                out.update(".".join([*base, a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("piimask"):
            out.add(node.module)
    return out


def test_no_module_imports_itself_back():
    modules = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        modules[name] = p
    graph = {m: {t for t in module_imports(p) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ importing its own modules is how packages work, not a cycle
    graph = {
        m: {t for t in ts if not (p := modules[m]).name == "__init__.py" or not t.startswith(m + ".")}
        for m, ts in graph.items()
    }
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in graph[m]:
            if state.get(t) == 1:
                raise AssertionError(" -> ".join([*path, m, t]))
            if t not in state:
                visit(t, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
