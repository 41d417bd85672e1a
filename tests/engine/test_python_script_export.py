"""`engine.export.python_script`: a readable Keras 3 script that rebuilds, compiles and loads a model.

Without Keras: the text (exact lines for small models, only non-default arguments), clear errors for what a
script cannot rebuild, ruff-clean output, atomic writes. With Keras (torch backend): every generated script
runs in one subprocess, and its model predicts what ours predicts, compiles the same configuration, and
trains on identically.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from test_saving import FAMILIES, flat, make_inputs, make_targets

import engine
from engine import layers
from engine.export import PythonExportError, export_python_script, python_script

RUFF_RULES = ["--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "88", "--target-version", "py311"]


def mlp():
    model = engine.Sequential([engine.Input((4,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")], name="iris_classifier")
    model.compile(optimizer=engine.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def cnn(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 1)), L.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer="he_normal"),
        L.BatchNormalization(momentum=0.9), L.MaxPooling2D(2), L.Conv2D(6, 3, strides=2),
        L.AveragePooling2D(2, padding="same"), L.Flatten(), L.Dropout(0.25), L.Dense(3, activation="softmax")])


def text_rnn(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((7,), dtype="int32"), L.Embedding(20, 4), L.LSTM(5, return_sequences=True),
        L.Bidirectional(L.GRU(3, return_sequences=True, recurrent_dropout=0.0)), L.GRU(4),
        L.Dense(1, activation="sigmoid")])


def residual_branches(lib):
    """Two branches merged by Concatenate, then a residual Add around a Dense block."""
    L = lib.layers
    inputs = lib.Input((6,), name="features")
    left = L.Dense(4, activation="relu", name="left")(inputs)
    right = L.Dense(4, activation="tanh", name="right")(inputs)
    merged = L.Concatenate(name="merged")([left, right])
    block = L.Dense(8, activation="relu", name="block")(merged)
    residual = L.Add(name="residual")([merged, block])
    return lib.Model(inputs, L.Dense(2, name="head")(residual), name="residual_net")


def two_in_two_out(lib):
    """Two inputs, two outputs (a list), a layer shared by both inputs, Reshape/Permute on the way."""
    L = lib.layers
    a, b = lib.Input((4,), name="input_a"), lib.Input((4,), name="input_b")
    shared = L.Dense(4, activation="relu", name="shared_dense")
    x = L.Concatenate(name="both")([shared(a), shared(b)])
    grid = L.Permute((2, 1), name="swap")(L.Reshape((2, 4), name="grid")(x))
    score = L.Dense(1, name="score")(L.Flatten(name="flat")(grid))
    label = L.Dense(3, activation="softmax", name="label")(L.Dropout(0.1, name="drop")(x))
    return lib.Model([a, b], [score, label], name="two_heads")


# -- the script's text -----------------------------------------------------------------------------------------


def test_sequential_mlp_script_text():
    expected = f'''"""Keras 3 script for the model "iris_classifier", exported by LayerStudio {engine.__version__}.

It defines the architecture (keras.Sequential), compiles it as it was compiled in
LayerStudio, loads the trained weights from iris.keras and prints a summary. Keep
iris.keras next to this script.

Run it with Keras 3 on any backend, for example PyTorch:

    pip install keras torch
    KERAS_BACKEND=torch python iris.py
"""

from pathlib import Path

import keras
from keras import layers

# -- Model --------------------------------------------------------------------
model = keras.Sequential(
    [
        keras.Input(shape=(4,), name="input_layer"),
        layers.Dense(16, activation="relu", name="dense"),
        layers.Dense(3, activation="softmax", name="dense_1"),
    ],
    name="iris_classifier",
)

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

# The trained weights, exported by LayerStudio
model.load_weights(Path(__file__).parent / "iris.keras")
model.summary()

# -- Use the model ------------------------------------------------------------
# Predictions for new samples (a NumPy array of shape (n, 4)):
# predictions = model.predict(x)
'''
    engine.backend.clear_session()
    assert python_script(mlp(), weights_path="iris.keras", script_name="iris.py") == expected


def test_functional_script_has_one_line_per_call():
    engine.backend.clear_session()
    text = python_script(residual_branches(engine))
    model_section = text.split("# -- Model")[1].split("\n\n")[0].splitlines()[1:]
    assert model_section == [
        'features = keras.Input(shape=(6,), name="features")',
        'left = layers.Dense(4, activation="relu", name="left")(features)',
        'right = layers.Dense(4, activation="tanh", name="right")(features)',
        'merged = layers.Concatenate(name="merged")([left, right])',
        'block = layers.Dense(8, activation="relu", name="block")(merged)',
        'residual = layers.Add(name="residual")([merged, block])',
        'head = layers.Dense(2, name="head")(residual)',
        'model = keras.Model(inputs=features, outputs=head, name="residual_net")',
    ]
    assert "# The model was not compiled in LayerStudio" in text


def test_shared_layers_several_inputs_and_outputs():
    text = python_script(two_in_two_out(engine))
    assert 'shared_dense = layers.Dense(4, activation="relu", name="shared_dense")\n' in text
    assert "shared_dense_input_a = shared_dense(input_a)\n" in text
    assert "shared_dense_input_b = shared_dense(input_b)\n" in text
    assert "both = layers.Concatenate(name=\"both\")([shared_dense_input_a, shared_dense_input_b])" in text
    assert 'model = keras.Model(inputs=[input_a, input_b], outputs=[score, label], name="two_heads")\n' in text
    assert "# predictions = model.predict([x_input_a, x_input_b])" in text


def test_only_non_default_arguments_are_written():
    text = python_script(engine.Sequential([
        engine.Input((8, 8, 2)),
        layers.Conv2D(8, 3, strides=2, padding="same", kernel_initializer="he_normal", kernel_regularizer="l2",
                      name="conv"),
        layers.Conv2D(8, 3, name="plain"),
        layers.Dense(3, kernel_initializer=engine.initializers.RandomNormal(stddev=0.1),
                     bias_regularizer=engine.regularizers.L1(0.5), name="dense"),
        layers.Dense(2, dtype="float64", trainable=False, name="frozen")]))
    indent = " " * 12
    assert f'layers.Conv2D(\n{indent}8,\n{indent}(3, 3),\n{indent}strides=(2, 2),\n{indent}padding="same",\n' \
        f'{indent}kernel_initializer="he_normal",\n{indent}kernel_regularizer="l2",\n' in text
    assert 'layers.Conv2D(8, (3, 3), name="plain")' in text
    assert "kernel_initializer=keras.initializers.RandomNormal(stddev=0.1)" in text
    assert "bias_regularizer=keras.regularizers.L1(l1=0.5)" in text
    assert 'layers.Dense(2, trainable=False, dtype="float64", name="frozen")' in text


def test_recurrent_wrappers_are_nested_calls():
    text = python_script(engine.Sequential([
        engine.Input((5, 3)), layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode="sum"),
        layers.RNN(layers.GRUCell(2))]))
    indent = " " * 12
    assert f'layers.Bidirectional(\n{indent}layers.LSTM(4, return_sequences=True),\n{indent}merge_mode="sum",' in text
    assert 'layers.RNN(layers.GRUCell(2), name="rnn' in text
    assert "backward_layer" not in text and "zero_output_for_mask" not in text


def test_compile_settings_are_written():
    model = engine.Sequential([engine.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=engine.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  loss=engine.losses.Huber(delta=2.0),
                  metrics=["mae", engine.metrics.RootMeanSquaredError(), engine.metrics.mean_squared_error])
    text = python_script(model)
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)" in text
    assert "loss=keras.losses.Huber(delta=2.0)" in text
    assert ('metrics=[\n        "mae",\n        keras.metrics.RootMeanSquaredError(),\n'
            '        keras.metrics.mean_squared_error,\n    ],') in text
    model.compile(optimizer="adam", loss="mse")
    assert 'model.compile(optimizer="adam", loss="mse")' in python_script(model)


def test_data_and_fit_code_go_in_marked_sections_with_their_imports_on_top():
    data_code = "import numpy as np\nfrom pathlib import Path\nimport csv\n\nx = np.zeros((4, 4))\ny = np.zeros(4)\n"
    fit_code = "history = model.fit(x, y, epochs=3)\nprint(history.history)"
    text = python_script(mlp(), weights_path="m.keras", data_code=data_code, fit_code=fit_code)
    head = text.split('"""')[2].split("# --")[0].strip()
    assert head == "import csv\nfrom pathlib import Path\n\nimport keras\nimport numpy as np\nfrom keras import layers"
    data = text.index("# -- Data"), text.index("x = np.zeros((4, 4))")
    model_at, fit = text.index("# -- Model"), text.index("# -- Training")
    assert data[0] < data[1] < model_at < text.index("model.summary()") < fit < text.index("history = model.fit")
    assert "model.predict" not in text


def test_names_of_the_user_code_are_not_reused():
    """A layer named like a variable of the data code (or a builtin, or a keyword) gets another name."""
    a = engine.Input((2,), name="x")
    b = layers.Dense(2, name="max")(a)
    c = layers.Dense(2, name="class")(b)
    text = python_script(engine.Model(a, c), data_code="x = 1\n")
    assert 'x_2 = keras.Input(shape=(2,), name="x")' in text
    assert 'max_2 = layers.Dense(2, name="max")(x_2)' in text
    assert 'class_2 = layers.Dense(2, name="class")(max_2)' in text


# -- errors ----------------------------------------------------------------------------------------------------


class Scale(engine.Layer):
    def call(self, inputs):
        return inputs * 2.0


def test_custom_layers_give_an_error_naming_them():
    inputs = engine.Input((3,))
    x = Scale(name="my_scale")(layers.Dense(3, name="d")(inputs))
    model = engine.Model(inputs, Scale(name="other")(x))
    with pytest.raises(PythonExportError) as info:
        python_script(model)
    message = str(info.value)
    assert "layer 'my_scale' (Scale)" in message and "layer 'other' (Scale)" in message
    assert "custom class" in message and "'d'" not in message


def test_wrapped_custom_layer_and_subclassed_model_and_custom_loss():
    class Wrapper(engine.Model):
        def call(self, x):
            return x

    inner = engine.Sequential([engine.Input((3,)), layers.Dense(2)], name="inner")
    inputs = engine.Input((3,))
    model = engine.Model(inputs, [inner(inputs), layers.Dense(2)(inputs)])
    python_script(model)  # a nested Sequential is fine
    with pytest.raises(PythonExportError, match=r"subclassed model \(Wrapper\)"):
        python_script(Wrapper())
    wrapped = engine.Model(inputs, Wrapper(name="wrapper")(inputs))
    with pytest.raises(PythonExportError, match="layer 'wrapper' \\(Wrapper\\) is a subclassed model"):
        python_script(wrapped)

    model = engine.Sequential([engine.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss=lambda y_true, y_pred: (y_true - y_pred) ** 2)
    with pytest.raises(PythonExportError, match="loss .* custom code"):
        python_script(model)


def test_bad_blocks_and_paths():
    with pytest.raises(PythonExportError, match="data_code is not valid Python: line 2"):
        python_script(mlp(), data_code="x = 1\ny = (\n")
    with pytest.raises(PythonExportError, match="fit_code"):
        python_script(mlp(), fit_code="model.fit(")
    with pytest.raises(PythonExportError, match=r"\.keras or \.weights\.h5"):
        python_script(mlp(), weights_path="weights.npz")


def test_export_writes_atomically(tmp_path):
    path = tmp_path / "model.py"
    model = mlp()
    export_python_script(model, path, weights_path="model.keras")
    assert path.read_text(encoding="utf-8") == python_script(model, weights_path="model.keras")
    model = engine.Sequential([engine.Input((3,)), Scale(name="custom")])
    with pytest.raises(PythonExportError, match="custom"):
        export_python_script(model, path)
    assert path.read_text(encoding="utf-8").startswith('"""Keras 3 script for the model "iris_classifier"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_scripts_are_ruff_clean(tmp_path):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    scripts = {name: python_script(build(engine)) for name, (build, _, _) in FAMILIES.items()}
    scripts.update({"cnn": python_script(cnn(engine)), "text_rnn": python_script(text_rnn(engine)),
                    "two_heads": python_script(two_in_two_out(engine), weights_path="/abs/path/w.keras"),
                    "full": python_script(mlp(), weights_path="m.keras",
                                          data_code="import numpy as np\nimport os\nx = np.ones((2, 4))\n",
                                          fit_code="model.fit(x, np.zeros(2))\nprint(os.getcwd())")})
    for name, text in scripts.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
        compile(text, name, "exec")
    result = subprocess.run([ruff, "check", *RUFF_RULES, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the scripts run in real Keras --------------------------------------------------------------------------

HARNESS = r'''
import contextlib, io, json, runpy, sys
import numpy as np

results = {}
for case in json.load(open(sys.argv[1])):
    with contextlib.redirect_stdout(io.StringIO()):
        namespace = runpy.run_path(case["script"])
    model = namespace["model"]
    inputs = dict(np.load(case["inputs"]))
    x = [inputs[f"x{i}"] for i in range(len(inputs))]
    x = x[0] if len(x) == 1 else x
    outputs = model.predict(x, verbose=0)
    if isinstance(outputs, dict):
        outputs = [outputs[k] for k in sorted(outputs)]
    elif not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    np.savez(case["predictions"], *[np.asarray(o) for o in outputs])
    result = {"compile_config": model.get_compile_config()}
    if "history" in namespace:
        result["history"] = namespace["history"].history
    if case.get("targets"):
        y = dict(np.load(case["targets"]))
        y = y["y"] if list(y) == ["y"] else y
        result["history"] = model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0).history
    results[case["name"]] = result
json.dump(results, open(sys.argv[2], "w"), default=str)
'''

OWN_CASES = {"cnn": (cnn, [("float", (8, 8, 1))], True), "text_rnn": (text_rnn, [("int", (7,), 20)], False),
             "residual": (residual_branches, [("float", (6,))], False),
             "two_heads": (two_in_two_out, [("float", (4,)), ("float", (4,))], True)}

COMPILE_SETTINGS = [
    lambda: {"optimizer": "adam", "loss": "mse"},
    lambda: {"optimizer": engine.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
             "loss": engine.losses.MeanSquaredError(), "metrics": ["mae", engine.metrics.RootMeanSquaredError()]},
    lambda: {"optimizer": engine.optimizers.RMSprop(learning_rate=0.002, rho=0.8), "loss": "mae",
             "metrics": [engine.metrics.mean_squared_error]},
    lambda: {"optimizer": engine.optimizers.AdamW(learning_rate=0.003, weight_decay=0.01, clipnorm=1.0),
             "loss": engine.losses.Huber(delta=0.5)},
]
TRAINED_TOO = {"dense", "multi_io", "residual", "frozen", "conv1d", "normalization"}


def keras_masked_model(keras, path):
    """A functional model with masks saved by Keras: loaded in the engine, it holds Keras's mask operations."""
    L = keras.layers
    steps, tokens = keras.Input((6, 3)), keras.Input((5,), dtype="int32")
    x = L.LSTM(2)(L.Masking(0.0)(steps))
    y = L.GRU(2)(L.Embedding(10, 3, mask_zero=True)(tokens))
    keras.Model([steps, tokens], L.Dense(2)(L.Concatenate()([x, y]))).save(path)
    return engine.saving.load_model(path)


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """Every case's script, run in one Keras subprocess; returns the cases and Keras's results."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("scripts")
    builders = {name: (lambda build=build: build(engine), specs) for name, (build, specs, _) in FAMILIES.items()}
    builders.update({name: (lambda build=build: build(engine), specs) for name, (build, specs, _) in OWN_CASES.items()})
    builders["keras_masked"] = (lambda: keras_masked_model(keras, folder / "from_keras.keras"),
                                [("masked", (6, 3)), ("int", (5,), 10)])
    cases, ours = [], {}
    for i, (name, (build, specs)) in enumerate(builders.items()):
        model = build()
        model.compile(**COMPILE_SETTINGS[i % len(COMPILE_SETTINGS)]())
        if name == "multi_io":
            model.compile(optimizer=engine.optimizers.Adam(learning_rate=0.02), loss={"y1": "mse", "y2": "mae"},
                          loss_weights={"y1": 1.0, "y2": 0.5}, metrics={"y1": ["mae"], "y2": ["mse"]})
        x = make_inputs(specs)
        x_list = x if isinstance(x, list) else [x]
        targets = None
        if name == "dense":  # trained before the export: the optimizer's state travels with the weights
            model.fit(x, make_targets(model, seed=3), epochs=1, batch_size=3, shuffle=False, verbose=0)
        model.save(folder / f"{name}.keras")
        export_python_script(model, folder / f"{name}.py", weights_path=f"{name}.keras")
        np.savez(folder / f"{name}_x.npz", **{f"x{i}": a for i, a in enumerate(x_list)})
        record = {"model": model, "predictions": flat(model.predict(x, verbose=0)),
                  "compile_config": model.get_compile_config()}
        if name in TRAINED_TOO:
            y = make_targets(model)
            np.savez(folder / f"{name}_y.npz", **(y if isinstance(y, dict) else {"y": y}))
            targets = str(folder / f"{name}_y.npz")
            record["history"] = model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0).history
        ours[name] = record
        cases.append({"name": name, "script": str(folder / f"{name}.py"), "inputs": str(folder / f"{name}_x.npz"),
                      "predictions": str(folder / f"{name}_out.npz"), "targets": targets})
    case, history = csv_case(folder)
    cases.append(case)
    ours["data_from_csv"] = {"history": history}
    (folder / "cases.json").write_text(json.dumps(cases))
    (folder / "harness.py").write_text(HARNESS)
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    result = subprocess.run([sys.executable, str(folder / "harness.py"), str(folder / "cases.json"),
                             str(folder / "results.json")], capture_output=True, text=True, env=env, cwd=folder,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    theirs = json.loads((folder / "results.json").read_text())
    for name in builders:
        stored = np.load(folder / f"{name}_out.npz")
        theirs[name]["predictions"] = [stored[f"arr_{i}"] for i in range(len(stored.files))]
    return ours, theirs


ALL_CASES = [*FAMILIES, *OWN_CASES, "keras_masked"]


@pytest.mark.parametrize("name", ALL_CASES)
def test_script_predicts_what_the_engine_predicts(keras_run, name):
    ours, theirs = keras_run
    expected, got = ours[name]["predictions"], theirs[name]["predictions"]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _comparable(value):
    """Compile config leaves as (class, config without the name) with float32 numbers; Keras's optimizer
    module names its backend, so modules are left out."""
    if isinstance(value, dict) and "class_name" in value:
        config = value["config"]
        if isinstance(config, dict):
            config = {k: float(np.float32(v)) if isinstance(v, float) else v
                      for k, v in config.items() if k != "name"}
        return value["class_name"], config
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize("name", ALL_CASES)
def test_script_compiles_the_same_configuration(keras_run, name):
    ours, theirs = keras_run
    mine, keras_config = ours[name]["compile_config"], theirs[name]["compile_config"]
    for key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"):
        a, b = _comparable(keras_config[key]), _comparable(mine[key])
        if key == "loss" and isinstance(a, tuple):  # Keras's loss configs have no dtype
            b = (b[0], {k: v for k, v in b[1].items() if k in a[1]})
        assert a == b, key


@pytest.mark.parametrize("name", sorted(TRAINED_TOO))
def test_script_trains_like_the_engine(keras_run, name):
    """Two epochs on the same batches give the same losses and metrics: same compile settings, same weights
    (and, for "dense", trained before the export, the same optimizer state)."""
    ours, theirs = keras_run
    for key, values in ours[name]["history"].items():
        np.testing.assert_allclose(theirs[name]["history"][key], values, rtol=1e-4, atol=1e-5, err_msg=key)


def test_data_and_fit_code_run_in_keras(keras_run):
    """The studio's use: the script reads the CSV, preprocesses it as the studio did, and trains further."""
    ours, theirs = keras_run
    for key, values in ours["data_from_csv"]["history"].items():
        np.testing.assert_allclose(theirs["data_from_csv"]["history"][key], values, rtol=1e-4, atol=1e-5,
                                   err_msg=key)


DATA_CODE = """import numpy as np
from pathlib import Path

table = np.loadtxt(Path(__file__).parent / "iris.csv", delimiter=",", skiprows=1, dtype="float32")
x = (table[:, :4] - np.array(MEAN, dtype="float32")) / np.array(STD, dtype="float32")
y = table[:, 4].astype("int64")
"""
FIT_CODE = "history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)\n"


def csv_case(folder):
    """A CSV file, the data/fit code the studio would pass, the exported script; the engine's history."""
    rng = np.random.default_rng(5)
    table = np.column_stack([rng.normal(2.0, 3.0, size=(12, 4)), rng.integers(0, 3, size=12)]).astype("float32")
    np.savetxt(folder / "iris.csv", table, delimiter=",", header="a,b,c,d,species", comments="", fmt="%.6f")
    table = np.loadtxt(folder / "iris.csv", delimiter=",", skiprows=1, dtype="float32")
    mean, std = table[:, :4].mean(axis=0), table[:, :4].std(axis=0)
    data_code = DATA_CODE.replace("MEAN", repr(mean.tolist())).replace("STD", repr(std.tolist()))
    model = mlp()
    model.save(folder / "iris.keras")
    export_python_script(model, folder / "iris.py", weights_path="iris.keras", data_code=data_code,
                         fit_code=FIT_CODE)
    x = (table[:, :4] - mean) / std
    history = model.fit(x, table[:, 4].astype("int64"), epochs=3, batch_size=4, shuffle=False, verbose=0).history
    np.savez(folder / "iris_x.npz", x0=x)
    return {"name": "data_from_csv", "script": str(folder / "iris.py"), "inputs": str(folder / "iris_x.npz"),
            "predictions": str(folder / "iris_out.npz"), "targets": None}, history
