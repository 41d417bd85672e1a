"""The "Inputs" block above an Input card: what each raw column goes through, in words, opened by a click."""

from PySide6.QtCore import QPoint, Qt

from studio.data import DataSpec, MissingStrategy, Preprocessor, read_csv
from studio.data.input_steps import input_steps, summary
from tests.studio.penguins_like import write_penguins


def test_penguins_columns_name_their_keras_layer_fitted_numbers_and_missing_rule(tmp_path):
    path = tmp_path / "penguins.csv"
    write_penguins(path)
    table = read_csv(path)
    spec = DataSpec.from_table(table)
    spec.missing = MissingStrategy.FILL
    p = Preprocessor.fit(table, spec)
    steps = {s.column: s for s in input_steps(p, [f.name for f in p.features])}
    island, bill, sex = steps["island"], steps["bill_length_mm"], steps["sex"]
    assert island.kind == "category" and island.steps.startswith(
        "StringLookup → one-hot over 3 (Biscoe, Dream, Torgersen); unseen → no category; missing → ")
    feature = next(f for f in p.features if f.name == "bill_length_mm")
    assert bill.kind == "number"
    assert bill.steps == f"Normalization (mean {feature.mean:.4g}, sd {feature.std:.4g}); missing → {feature.mean:.4g}"
    assert sex.steps.endswith("; missing → 'female'") or sex.steps.endswith("; missing → 'male'")
    assert summary(list(steps.values())) == f"{len(steps)} columns · Normalization, StringLookup"
    embedded = input_steps(p, ["island"], codes=True)  # an Input feeding an Embedding takes the category's code
    assert embedded[0].steps.startswith("StringLookup → code 1–3 over 3 (Biscoe, Dream, Torgersen); unseen → code 0")
    older = input_steps(p, ["island"], codes=True, codes_from=0)  # a project prepared before code 0 was kept
    assert older[0].steps.startswith("StringLookup → code 0–2 over 3 (Biscoe, Dream, Torgersen); unseen → the first "
                                     "category (Biscoe)")


def test_text_example_shows_its_text_vectorization():
    from studio.document.examples import load_example
    from studio.headless import prepared_data

    prepared = prepared_data(load_example("text"))
    steps = input_steps(prepared.preprocessor, [])
    assert len(steps) == 1 and steps[0].kind == "text"
    assert steps[0].steps.startswith("TextVectorization (") and "tokens)" in steps[0].steps


def test_the_block_opens_and_closes_with_a_click_on_the_canvas(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    window.open_example("mlp")
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=10000)
    card = next(i for i in window.scene.node_items.values() if window.project.graph.nodes[i.node_id].type == "Input")
    block = card.inputs_block
    qtbot.waitUntil(block.isVisible, timeout=5000)
    assert [s.column for s in block.steps] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert all(s.steps.startswith("Normalization (mean ") for s in block.steps)
    view = window.view

    def click_block() -> None:
        window.view.ensureVisible(block.sceneBoundingRect())
        center = view.mapFromScene(block.sceneBoundingRect().center())
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=QPoint(center.x(), center.y()))

    click_block()
    assert block.is_open and not card.isSelected()  # the click opened the block; the card was neither selected
    assert card.pos().x() == window.project.graph.nodes[card.node_id].position[0]  # nor moved
    assert block.boundingRect().height() > 4 * 17  # a row per column under the title
    click_block()
    assert not block.is_open
