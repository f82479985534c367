"""scripts/figure_alt.py: alternative text for stored figures, from the code cell that drew them.

The helper descriptions here are hand-written stand-ins for cnnlab's docstrings, so the
expected texts below do not depend on how the real helpers are documented.
"""

import nbformat

from scripts import figure_alt

SUMMARIES = {
    ("plots", "plot_kernel"): "Show a kernel with its weights.",
    ("plots", "plot_image"): "Show one image without ticks.",
    ("plots", "plot_windows"): "Draw a box around every window.",
    ("widgets", "kernel_playground"): "Return a KernelPlayground: edit a kernel and see the image filtered.",
}


def cell(source, **metadata):
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def test_panels_of_one_figure_with_their_titles():
    source = ('fig, axes = plt.subplots(1, 2)\n'
              'plots.plot_kernel(SOBEL_X, ax=axes[0])\n'
              'axes[0].set_title("Sobel x")\n'
              'plots.plot_kernel(SOBEL_Y, ax=axes[1])\n'
              'axes[1].set_title("Sobel y")\n'
              'plt.show()')
    assert figure_alt.alt_texts(cell(source), "", 1, SUMMARIES) == [
        '2 panels, each a kernel with its weights, titled "Sobel x", "Sobel y".']


def test_an_overlay_on_the_same_axes_joins_its_panel():
    source = ('fig, ax = plt.subplots()\n'
              'plots.plot_image(grid, ax=ax, title=f"input {size}x{size}")\n'
              'plots.plot_windows(grid.shape, 2, ax=ax)')
    assert figure_alt.alt_texts(cell(source), "", 1, SUMMARIES) == [
        'One image without ticks, with a box around every window, titled "input …x…".']


def test_titles_set_aside_in_a_variable_are_read_too():
    source = 'names = ["photo", "mirror"]\nplots.plot_image(x, titles=names)'
    assert figure_alt.alt_texts(cell(source), "", 1, SUMMARIES) == [
        'One image without ticks (x), titled "photo", "mirror".']


def test_each_figure_of_a_cell_gets_its_own_text():
    source = 'plots.plot_image(digit, title="a digit")\nplots.plot_kernel(kernel)'
    assert figure_alt.alt_texts(cell(source), "", 2, SUMMARIES) == [
        'One image without ticks (digit), titled "a digit".', "A kernel with its weights (kernel)."]


def test_axis_labels_and_legend_of_a_matplotlib_plot():
    source = ('fig, ax = plt.subplots()\n'
              'ax.plot(steps, rates, label="cosine")\n'
              'ax.set(xlabel="training step", ylabel="learning rate")')
    assert figure_alt.alt_texts(cell(source), "", 1, SUMMARIES) == [
        'Line plot of learning rate against training step, series "cosine".']


def test_a_widget_and_the_sentences_above_that_describe_its_figure():
    above = "## Play\n\nTry it. The figure shows the **kernel** and the image. Have fun!"
    assert figure_alt.alt_texts(cell("widgets.kernel_playground(shapes)"), above, 1, SUMMARIES) == [
        "Edit a kernel and see the image filtered (shapes). The figure shows the kernel and the image."]


def test_metadata_wins_and_unreadable_code_falls_back_on_the_text_above():
    given = cell("plots.plot_image(x)", cnnlab={"alt": "A cat, mirrored."})
    assert figure_alt.alt_texts(given, "", 1, SUMMARIES) == ["A cat, mirrored."]
    assert figure_alt.alt_texts(cell("%matplotlib inline\ndraw()"), "Twelve digits. More text.", 1,
                                SUMMARIES) == ["Twelve digits."]


def test_summaries_are_read_from_the_package_source():
    summaries = figure_alt.helper_summaries()
    assert summaries[("plots", "plot_image")].startswith("Show")
    assert not any(name.startswith("_") for _, name in summaries)
