"""Training on a CSV file read in chunks gives the model reading it whole gives: in the training core, and through
`layerstudio train`, `evaluate` and `predict` with the streaming threshold lowered."""

import json
from dataclasses import replace

import numpy as np
import pytest

import engine as keras
from studio.__main__ import main
from studio.data import DataSpec, prepare, read_csv
from studio.data import chunks as chunks_module
from studio.data.spec import resolve_path
from studio.data.streamed import prepare_streamed
from studio.document.examples import example_path
from studio.document.project import load_project, save_project
from studio.training.core import Listener, Trainer
from studio.training.run import FINISHED, TrainingSettings
from tests.studio.data.test_streamed_data import CHUNK, write_mixed_csv


def _model(n_features: int):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _train(data, settings):
    model = _model(data.preprocessor.n_features)
    history = []
    outcome = Trainer(model, data, settings, 0, settings.epochs,
                      listener=Listener(epoch=lambda epoch, logs: history.append(logs))).fit()
    assert outcome.status == FINISHED, outcome.message
    return outcome.weights, history


def test_the_training_core_on_chunks_trains_the_model_of_the_whole_file(tmp_path):
    path = write_mixed_csv(tmp_path / "mixed.csv")
    spec = DataSpec.from_table(read_csv(path))
    spec = replace(spec, split=replace(spec.split, shuffle=False))
    settings = TrainingSettings(epochs=3, batch_size=37, shuffle=False)
    loss = "sparse_categorical_crossentropy"
    weights, history = _train(prepare(spec).for_loss(loss), settings)
    streamed_weights, streamed_history = _train(prepare_streamed(spec, chunk_bytes=CHUNK).for_loss(loss), settings)
    for a, b in zip(weights, streamed_weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert [sorted(h) for h in history] == [sorted(h) for h in streamed_history]
    for a, b in zip(history, streamed_history):
        np.testing.assert_allclose([b[k] for k in sorted(a)], [a[k] for k in sorted(a)], rtol=1e-5)
    assert "val_loss" in history[0]


@pytest.fixture
def big_iris_project(tmp_path):
    return write_big_iris_projects(tmp_path)


def write_big_iris_projects(tmp_path, epochs: int = 2) -> list[str]:
    """Two copies of the Iris example project on 1,500 noisy Iris rows (about 40 KB), split and trained in file
    order."""
    source = example_path("mlp").parent.parent / "data" / "iris.csv"
    header, *rows = source.read_text().strip().split("\n")
    rng = np.random.default_rng(1)
    with open(tmp_path / "iris_big.csv", "w") as f:
        f.write(header + "\n")
        for _ in range(10):
            for row in rows:
                *numbers, species = row.split(",")
                noisy = [f"{float(v) + rng.normal(0, 0.1):.3f}" for v in numbers]
                f.write(",".join([*noisy, species]) + "\n")
    project = load_project(example_path("mlp"))
    project.data = {**project.data, "path": resolve_path(str(tmp_path / "iris_big.csv"), None),
                    "split": {**project.data["split"], "shuffle": False}}
    project.training = {**project.training, "epochs": epochs, "batch_size": 16, "shuffle": False}
    paths = []
    for name in ("whole", "chunks"):
        paths.append(str(tmp_path / f"{name}.lsproj"))
        save_project(project, paths[-1])
    return paths


def stream_above(monkeypatch, threshold: int, chunk: int = 2000):
    monkeypatch.setattr(chunks_module, "STREAM_THRESHOLD", threshold)
    monkeypatch.setattr(chunks_module, "CHUNK_BYTES", chunk)


def _last_run(path):
    with open(path) as f:
        return json.load(f)["runs"][-1]


def test_layerstudio_train_evaluate_predict_on_chunks_as_on_the_whole_file(big_iris_project, tmp_path, capsys,
                                                                           monkeypatch):
    whole, chunked = big_iris_project
    keras.utils.set_random_seed(5)  # the same initial weights for both
    assert main(["train", whole]) == 0
    whole_out = capsys.readouterr().out
    assert main(["evaluate", whole]) == 0
    whole_eval = capsys.readouterr().out
    assert main(["predict", whole, str(tmp_path / "iris_big.csv"), "-o", str(tmp_path / "whole.csv")]) == 0
    capsys.readouterr()

    stream_above(monkeypatch, 1000)  # the 40 KB file is now "large": read in chunks of 2 KB
    seen = []
    original = chunks_module.CsvChunks.tables
    monkeypatch.setattr(chunks_module.CsvChunks, "tables",
                        lambda self, progress=None: seen.append(self.path) or original(self, progress))
    keras.utils.set_random_seed(5)
    assert main(["train", chunked]) == 0
    chunked_out = capsys.readouterr().out
    assert seen, "the project's CSV was not read in chunks"
    assert chunked_out.replace("chunks", "whole") == whole_out.replace("chunks", "whole")
    a, b = _last_run(whole), _last_run(chunked)
    assert a["history"].keys() == b["history"].keys()
    for key in a["history"]:
        np.testing.assert_allclose(b["history"][key], a["history"][key], rtol=1e-5)
    from studio.training.run import TrainingRun
    for wa, wb in zip(TrainingRun.from_dict(a).weights, TrainingRun.from_dict(b).weights, strict=True):
        np.testing.assert_allclose(wb, wa, rtol=1e-5, atol=1e-6)
    assert main(["evaluate", chunked]) == 0
    assert capsys.readouterr().out == whole_eval
    assert main(["predict", chunked, str(tmp_path / "iris_big.csv"), "-o", str(tmp_path / "chunks.csv")]) == 0
    assert (tmp_path / "chunks.csv").read_text() == (tmp_path / "whole.csv").read_text()


@pytest.mark.parametrize("hold_bytes, validation_passes", [(1 << 20, 0), (1000, 3)])
def test_small_validation_rows_are_held_from_the_first_epochs_reading_and_large_ones_read_every_epoch(
        tmp_path, monkeypatch, hold_bytes, validation_passes):
    path = write_mixed_csv(tmp_path / "mixed.csv")
    spec = DataSpec.from_table(read_csv(path))
    spec = replace(spec, split=replace(spec.split, shuffle=False))
    settings = TrainingSettings(epochs=3, batch_size=37, shuffle=True)
    loss = "sparse_categorical_crossentropy"
    streamed = prepare_streamed(spec, chunk_bytes=CHUNK, hold_bytes=hold_bytes).for_loss(loss)
    first = streamed.plan.chunks.chunks[0]
    passes = []  # every pass over the file reads its first chunk once
    original = chunks_module.CsvChunks.read
    monkeypatch.setattr(chunks_module.CsvChunks, "read",
                        lambda self, chunk: (passes.append(1) if chunk == first else None) or original(self, chunk))
    streamed.reading = lambda part, fraction: passes.append(part) if fraction == 1 else None
    weights, history = _train(streamed, settings)
    assert len(passes) == 2 * (3 + validation_passes)  # a read of the first chunk and the end of each pass
    assert passes.count("training") == 3 and passes.count("validation") == validation_passes
    assert streamed.validation.held == (validation_passes == 0)
    # the same model as streaming the validation rows every epoch (the equality with the whole file is above)
    again, again_history = _train(prepare_streamed(spec, chunk_bytes=CHUNK, hold_bytes=0).for_loss(loss), settings)
    for a, b in zip(weights, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert history == again_history
    fresh = prepare_streamed(spec, chunk_bytes=CHUNK, hold_bytes=0).for_loss(loss).validation
    for held, read in zip(streamed.validation.pieces(), fresh.pieces(), strict=True):  # in file order
        np.testing.assert_array_equal(held.x, read.x)
        np.testing.assert_array_equal(held.y, read.y)
        np.testing.assert_array_equal(held.lines, read.lines)
    assert 0.1 < history[-1]["val_loss"] < 10
