"""Alternative text for a notebook's stored figures, written from the code cell that drew them.

The course site (scripts/build_site.py) gives every figure an ``alt`` text that says what it
shows, so a screen reader does not read out an image's file name. Nothing is executed and no
notebook needs editing: the text is assembled from

- the cnnlab helpers the cell calls (``plots.plot_signed(...)``, ``visualize.plot_filters(...)``,
  a widget), each described by the first line of its own docstring, read from cnnlab/*.py;
- what the cell writes on the figure: ``title=``, ``titles=[...]``, ``set_title``, axis labels
  and legend labels (an f-string's placeholders become "…");
- the sentences of the markdown cell above that describe the figure ("The figure shows ...").

A cell's metadata can set the text itself: ``{"cnnlab": {"alt": "..."}}`` (a list for a cell that
draws several figures), which wins over the generated one.
"""

import ast
import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "cnnlab"
METADATA_KEY, ALT_KEY = "cnnlab", "alt"
# Matplotlib drawing calls on an Axes, and what a reader would call the result.
AXES_PLOTS = {"plot": "line plot", "bar": "bar chart", "barh": "bar chart", "scatter": "scatter plot",
              "hist": "histogram", "imshow": "image", "step": "step plot"}
VERBS = ("Show ", "Draw ", "Plot ", "Return ")
# Sentences of the markdown above that talk about the figure.
DESCRIBES = re.compile(r"\b(figures?|shows?|shown|pictured|drawn|plotted|panels?)\b", re.I)
CONTEXT_SENTENCES = 2
SHOWN_MAX = 24  # a helper's first argument, when this short, is named: "(x_train[:12])"


def helper_summaries(package=PACKAGE):
    """{(module, function): first docstring line} for the public functions of every cnnlab module."""
    summaries = {}
    for path in sorted(package.glob("[!_]*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                doc = (ast.get_docstring(node) or "").split("\n\n")[0]
                summaries[(path.stem, node.name)] = " ".join(doc.split())
    return summaries


def phrase(summary, name):
    """What a helper draws, from its docstring's first line: 'Show X.' -> 'x'."""
    text = summary.rstrip(".") or name.replace("plot_", "").replace("_", " ")
    for verb in VERBS:
        if text.startswith(verb):
            text = text[len(verb):]
            break
    if ": " in text and name in ("kernel_playground", "output_shape_explorer"):
        text = text.split(": ", 1)[1]  # 'a KernelPlayground: edit a 3x3 kernel ...' -> what it does
    return text[:1].lower() + text[1:]


def text_of(node):
    """A string literal or f-string as a reader sees it ('…' for each placeholder); else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = "".join(part.value if isinstance(part, ast.Constant) else "…" for part in node.values)
        return text if text.strip("… ,:") else None
    return None


def texts_of(node):
    """The strings of a literal list or tuple."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [text for text in map(text_of, node.elts) if text]
    return []


def keyword(call, name):
    return next((item.value for item in call.keywords if item.arg == name), None)


class Panel:
    def __init__(self, what, ax=None):
        self.what, self.ax = what, ax
        self.titles, self.labels, self.overlays, self.loop = [], {}, [], None

    def describe(self):
        text = self.what
        if "ylabel" in self.labels and "xlabel" in self.labels:
            text += f" of {self.labels['ylabel']} against {self.labels['xlabel']}"
        for overlay in self.overlays:
            text += f", with {overlay}"
        if self.labels.get("legend"):
            text += ", series " + ", ".join(f'"{label}"' for label in self.labels["legend"])
        if self.titles:
            text += ", titled " + ", ".join(f'"{title}"' for title in self.titles)
        if self.loop is not None:
            text += " (one for each of " + ", ".join(f'"{item}"' for item in self.loop) + ")" \
                if self.loop else " (one per item)"
        return text


def loops_of(tree):
    """{id(call node): strings of the enclosing for loop's iterable} for calls inside a loop.

    An iterable named by a variable set in the same cell (`shown = [...]`) reads as its value.
    """
    named = {target.id: statement.value for statement in tree.body if isinstance(statement, ast.Assign)
             for target in statement.targets if isinstance(target, ast.Name)}
    inside = {}
    for loop in (node for node in ast.walk(tree) if isinstance(node, ast.For)):
        iterable = ast.Module(body=[ast.Expr(value=named.get(node.id, node))
                                    for node in ast.walk(loop.iter) if isinstance(node, ast.Name)]
                              + [ast.Expr(value=loop.iter)], type_ignores=[])
        items = [text for node in ast.walk(iterable) if (text := text_of(node))]
        for node in ast.walk(loop):
            inside.setdefault(id(node), items)
    return inside


def figures_drawn(source, summaries):
    """[[Panel, ...] per figure] that ``source`` draws, in order, as far as its calls tell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax: nothing to read
        return []
    loops = loops_of(tree)
    # Titles set aside in a variable first (`titles = [...]`, then `titles=titles`) read as literals.
    named = {target.id: statement.value for statement in tree.body if isinstance(statement, ast.Assign)
             for target in statement.targets if isinstance(target, ast.Name)}

    def literal(node):
        return named.get(node.id, node) if isinstance(node, ast.Name) else node

    top_level = {id(statement.value) for statement in tree.body if isinstance(statement, ast.Expr)}
    calls = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call)),
                   key=lambda node: (node.lineno, node.col_offset))
    figures = []

    def panel_on(ax):
        if not figures:
            figures.append([])
        panels = [panel for panel in figures[-1] if panel.ax == ax]
        if panels:
            return panels[-1]
        figures[-1].append(Panel("", ax))
        return figures[-1][-1]

    for call in calls:
        if not isinstance(call.func, ast.Attribute):
            continue
        owner, name = ast.unparse(call.func.value), call.func.attr
        ax_node = keyword(call, "ax")
        ax = ast.unparse(ax_node) if ax_node is not None else None
        helper = summaries.get((owner, name))
        if helper is not None and (name.startswith("plot_") or (owner == "widgets" and id(call) in top_level)):
            what = phrase(helper, name)
            if ax is None:  # the helper makes its own figure
                figures.append([])
            panel = panel_on(ax)
            if panel.what:
                panel.overlays.append(what)
            else:
                panel.what = what
            title = literal(keyword(call, "title"))
            panel.titles += [text for text in [text_of(title)] if text] + texts_of(literal(keyword(call, "titles")))
            shown = ast.unparse(call.args[0]) if call.args else ""
            if ax is None and len(shown) <= SHOWN_MAX and not panel.overlays:
                panel.what += f" ({shown})" if shown else ""
            if id(call) in loops:
                panel.loop = loops[id(call)]
        elif owner in ("plt", "pyplot") and name in ("subplots", "figure"):
            figures.append([])
        elif name in AXES_PLOTS and owner not in ("np", "plt", "plots", "visualize"):
            panel = panel_on(owner)
            panel.what = panel.what or AXES_PLOTS[name]
            label = text_of(keyword(call, "label"))
            if label:
                panel.labels.setdefault("legend", []).append(label)
        elif name in ("set_title", "suptitle") and call.args and text_of(call.args[0]):
            panel_on(owner).titles.append(text_of(call.args[0]))
        elif name in ("set", "set_xlabel", "set_ylabel"):
            panel = panel_on(owner)
            for axis in ("xlabel", "ylabel"):
                value = keyword(call, axis) if name == "set" else (
                    call.args[0] if call.args and name == f"set_{axis}" else None)
                if value is not None and text_of(value):
                    panel.labels[axis] = text_of(value)
            title = keyword(call, "title") if name == "set" else None
            if title is not None and text_of(title):
                panel.titles.append(text_of(title))
    return [[panel for panel in figure if panel.what] for figure in figures if any(p.what for p in figure)]


def plain(markdown):
    """Markdown and LaTeX markup removed, for reading aloud."""
    lines = [line for line in markdown.splitlines() if not line.startswith("#")]  # no headings
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", "\n".join(lines))  # links: their text
    text = re.sub(r"[*`$\\]|\{[^}]*\}", "", text)
    return " ".join(text.split())


def context(markdown):
    """The sentences of ``markdown`` (the cell above the figure) that describe a figure."""
    sentences = re.split(r"(?<=[.!?:])\s+(?=[A-Z(\"])", plain(markdown))
    return " ".join([sentence for sentence in sentences if DESCRIBES.search(sentence)][:CONTEXT_SENTENCES])


def describe(figure):
    alike = {(panel.what, tuple(panel.overlays), bool(panel.labels), panel.loop is None) for panel in figure}
    if len(figure) > 1 and len(alike) == 1 and all(len(panel.titles) == 1 for panel in figure):
        # The same kind of panel side by side: say it once ("2 panels, each a kernel ...: "x", "y"").
        first = Panel(figure[0].what)
        first.overlays, first.labels, first.loop = figure[0].overlays, figure[0].labels, figure[0].loop
        text = f"{len(figure)} panels, each {first.describe()}, titled " + ", ".join(
            f'"{panel.titles[0]}"' for panel in figure)
        return text + "."
    parts = [panel.describe() for panel in figure]
    text = parts[0] if len(parts) == 1 else f"{len(parts)} panels: " + "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def alt_texts(cell, markdown_above, count, summaries):
    """``count`` alternative texts for the figures a code cell shows, in output order."""
    given = cell.get("metadata", {}).get(METADATA_KEY, {}).get(ALT_KEY)
    if given:
        given = [given] if isinstance(given, str) else list(given)
        return (given * count)[:count] if len(given) != count else given
    described = [describe(figure) for figure in figures_drawn(cell.source, summaries)]
    around = context(markdown_above)
    if len(described) != count:  # drawn by code the reader cannot follow: one text for all
        described = [" ".join(described)] * count
    if not around and not any(described):  # nothing to go on but the text above the figure
        around = re.split(r"(?<=[.!?])\s+", plain(markdown_above))[0]
    return [" ".join(part for part in (text, around) if part) for text in described]
