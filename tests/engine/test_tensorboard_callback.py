"""`callbacks.TensorBoard` without TensorFlow: Keras 3's directory layout and tags, `update_freq`, weight
histograms and the model config, read back by our own reader (every CRC checked) and by TensorBoard's."""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine
from engine.callbacks.event_file import EventFileError, crc32c, histogram_buckets, masked_crc32c, read_event_file


def _fit(log_dir, epochs=2, validation=True, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(4, activation="relu"),
                               engine.layers.Dense(1, activation="sigmoid")])
    model.compile(engine.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    board = engine.callbacks.TensorBoard(log_dir, **kwargs)
    history = model.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.25 if validation else 0.0,
                        callbacks=[board], verbose=0)
    return model, history


def _read(directory):
    files = sorted(os.listdir(directory))
    assert all(f.startswith("events.out.tfevents.") and f.endswith(".v2") for f in files)
    return [s for f in files for s in read_event_file(os.path.join(directory, f))]


def _series(summaries, tag):
    return [(s.step, s.value) for s in summaries if s.tag == tag]


def test_epoch_scalars_in_keras_layout(tmp_path):
    model, history = _fit(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = _read(tmp_path / "train"), _read(tmp_path / "validation")
    assert {s.tag for s in train} == {"keras", "epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    for name in ("loss", "accuracy"):
        steps, values = zip(*_series(train, f"epoch_{name}"))
        assert steps == (0, 1)
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)
        steps, values = zip(*_series(validation, f"epoch_{name}"))
        np.testing.assert_allclose(values, history.history[f"val_{name}"], rtol=1e-6)
        # after each validation, at the optimizer's step count (3 batches of 10 per epoch)
        assert [s for s, _ in _series(validation, f"evaluation_{name}_vs_iterations")] == [3, 6]
    assert [v for _, v in _series(train, "epoch_learning_rate")] == pytest.approx([0.01, 0.01])
    graph = next(s for s in train if s.tag == "keras")
    assert graph.plugin == "graph_keras_model" and graph.step == 0 and '"class_name": "Sequential"' in graph.value
    assert all(s.plugin == "scalars" for s in train + validation if s.tag != "keras")


@pytest.mark.parametrize("update_freq,steps", [("epoch", []), ("batch", list(range(1, 9))), (3, [3, 6])])
def test_update_freq_writes_batch_scalars(tmp_path, update_freq, steps):
    _fit(tmp_path, validation=False, update_freq=update_freq, write_graph=False)
    train = _read(tmp_path / "train")
    assert [s for s, _ in _series(train, "batch_loss")] == steps
    assert not (tmp_path / "validation").exists()


def test_weight_histograms(tmp_path):
    model, _ = _fit(tmp_path, epochs=3, validation=False, histogram_freq=2)
    train = _read(tmp_path / "train")
    kernel = _series(train, f"{model.layers[0].kernel.path}/histogram")
    assert [s for s, _ in kernel] == [0, 2]
    buckets = kernel[-1][1]
    weights = model.layers[0].kernel.value
    assert buckets.shape == (30, 3) and buckets[:, 2].sum() == weights.size
    assert buckets[0, 0] == weights.min() and buckets[-1, 1] == weights.max()
    assert {s.plugin for s in train if s.tag.endswith("/histogram")} == {"histograms"}


def test_weight_images(tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    import io
    model, _ = _fit(tmp_path, epochs=1, validation=False, histogram_freq=1, write_images=True, write_graph=False)
    train = _read(tmp_path / "train")
    kernel = model.layers[0].kernel
    (step, strings), = _series(train, f"{kernel.path}/image")
    assert step == 0 and strings[:2] == [b"4", b"3"]  # width, height: the (3, 4) kernel, longer side across
    picture = np.asarray(image_module.open(io.BytesIO(strings[2])))
    np.testing.assert_array_equal(picture, np.clip(kernel.value * 255.5, 0, 255).astype(np.uint8))
    assert {s.plugin for s in train if s.tag.endswith("/image")} == {"images"}
    # two kernels and the first bias; the last bias (one number) squeezes to a scalar, which Keras does not show
    assert len([s for s in train if s.tag.endswith("/image")]) == 3


def test_histogram_buckets_as_tensorboard():
    summary_v2 = pytest.importorskip("tensorboard.plugins.histogram.summary_v2")
    tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
    for data in (np.random.default_rng(1).normal(size=200), np.full(7, 2.5), np.array([]), np.arange(10.0)):
        expected = tensor_util.make_ndarray(summary_v2.histogram_pb("h", data).value[0].tensor)
        np.testing.assert_allclose(histogram_buckets(data), expected, rtol=1e-12)


def test_tensorboard_reads_our_files(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.util import tensor_util
    model, history = _fit(tmp_path, histogram_freq=1, write_images=True)
    for run, prefix in (("train", ""), ("validation", "val_")):
        accumulator = plugin_event_accumulator.EventAccumulator(str(tmp_path / run))
        accumulator.Reload()
        scalars = accumulator.PluginTagToContent("scalars")
        assert {"epoch_loss", "epoch_accuracy"} <= set(scalars)
        values = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors("epoch_loss")]
        np.testing.assert_allclose(values, history.history[f"{prefix}loss"], rtol=1e-6)
    accumulator = plugin_event_accumulator.EventAccumulator(str(tmp_path / "train"))
    accumulator.Reload()
    assert f"{model.layers[0].kernel.path}/histogram" in accumulator.PluginTagToContent("histograms")
    assert "keras" in accumulator.PluginTagToContent("graph_keras_model")
    assert f"{model.layers[0].kernel.path}/image" in accumulator.PluginTagToContent("images")


def test_each_fit_starts_a_new_event_file(tmp_path):
    model, _ = _fit(tmp_path, epochs=1, validation=False, write_graph=False)
    board = engine.callbacks.TensorBoard(tmp_path, write_graph=False)
    model.fit(np.zeros((10, 3), "float32"), np.zeros((10, 1), "float32"), epochs=1, callbacks=[board], verbose=0)
    assert len(os.listdir(tmp_path / "train")) == 2
    assert len(_series(_read(tmp_path / "train"), "epoch_loss")) == 2


def test_steps_per_second_and_a_separate_evaluate(tmp_path):
    model, _ = _fit(tmp_path, epochs=1, validation=False, write_steps_per_second=True, update_freq="batch",
                    write_graph=False)
    train = _read(tmp_path / "train")
    assert len(_series(train, "batch_steps_per_second")) == 4
    assert [s for s, _ in _series(train, "epoch_steps_per_second")] == [0]
    assert all(v > 0 for _, v in _series(train, "epoch_steps_per_second"))
    board = engine.callbacks.TensorBoard(tmp_path / "eval", write_graph=False)
    loss, accuracy = model.evaluate(np.ones((5, 3), "float32"), np.ones((5, 1), "float32"), callbacks=[board],
                                    verbose=0)
    validation = _read(tmp_path / "eval" / "validation")
    assert _series(validation, "evaluation_loss_vs_iterations") == [(4, pytest.approx(loss))]
    assert _series(validation, "evaluation_accuracy_vs_iterations") == [(4, pytest.approx(accuracy))]


def test_crc_and_damaged_files_are_named(tmp_path):
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert masked_crc32c(b"") == 0xA282EAD8
    _fit(tmp_path, epochs=1, validation=False)
    path = tmp_path / "train" / os.listdir(tmp_path / "train")[0]
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(EventFileError, match=r"events\.out\.tfevents.*corrupt data \(CRC mismatch\)"):
        read_event_file(path)
    path.write_bytes(bytes(blob[:-3]))
    with pytest.raises(EventFileError, match="cut short"):
        read_event_file(path)


def test_unsupported_arguments():
    with pytest.raises(ValueError, match="profile_batch=2"):
        engine.callbacks.TensorBoard(profile_batch=2)
    with pytest.warns(UserWarning, match="embeddings_freq"):
        engine.callbacks.TensorBoard(embeddings_freq=1)
    with pytest.raises(ValueError, match="update_freq"):
        engine.callbacks.TensorBoard(update_freq="sometimes")
