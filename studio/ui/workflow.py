"""From a CSV file to a trained model inside the main window: data import, compile settings, the training
session with its panel, the evaluation view, and what of them the project keeps.

One `ModelWorkflow` per window; `attach(project)` gives it a fresh session, panel and evaluation view for
each project, restored from the project's "data", "compile", "training" and "runs" keys.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSettings, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QTabWidget

from studio.background import BackgroundTask
from studio.data.errors import DataError
from studio.data.spec import DataSpec, portable_path, resolve_path
from studio.data.streamed import prepare_file, will_stream
from studio.document.build import build_model
from studio.document.project import Project
from studio.training.compile_settings import check_settings
from studio.training.run import STATUS_WORDS, TrainingSettings
from studio.training.session import IDLE, TrainingSession
from studio.ui.commands import SetConfigCommand
from studio.ui.compile_dialog import CompileDialog, OutputTask
from studio.ui.data_binding import DataBindings
from studio.ui.data_import import ImportDialog
from studio.ui.evaluation import EvaluationView
from studio.ui.preferences import Preferences
from studio.ui.training import TrainingPanel
from studio.ui.training.runs_view import RunsView

IMPORT_HINT = "No data yet: Data > Import CSV… to choose a file and its columns."
COMPILE_HINT = "Not compiled yet: Model > Compile… to choose the loss, optimizer and metrics."
EVALUATION_BUSY = "An evaluation or prediction is running: wait for it, or Cancel it (Evaluation tab)."
PREDICTION_BUSY = "A prediction is running: wait for it to end, or Cancel it (Evaluation tab)."


class ModelWorkflow(QObject):
    """Signals: state_changed() when what can be done changes (data, compile settings, training state, graph
    errors); project_changed() when the project's data, compile, training or runs change; message(str) for
    the status bar."""

    state_changed = Signal()
    project_changed = Signal()
    message = Signal(str)
    reading = Signal(str, float)  # (what is being read from the data file, fraction done); a fraction < 0: done

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.session: TrainingSession | None = None
        self.panel: TrainingPanel | None = None
        self.evaluation: EvaluationView | None = None
        self.runs_view: RunsView | None = None
        self.prepared = None
        self.data_problem: str | None = None
        self._dirty = False
        self._saved_training: dict | None = None
        self._quiet_evaluation = False  # the evaluation after a run reports in its tab, not the status bar
        self.notes = ""  # what opening the project found (restored runs, unreadable data), for the status bar
        self.loading = False  # the project's data is being read
        self._loader = BackgroundTask(self)
        self._loader.done.connect(self._on_data_loaded)
        self._loader.failed.connect(self._on_data_failed)
        self._loader.progress.connect(self._on_data_progress)
        self._reading_file: tuple[str, bool] = ("", False)  # (the data file's name, read in chunks)
        self.bindings = DataBindings(window.undo_stack, self)  # columns -> Inputs, targets -> outputs
        self.bindings.changed.connect(self._on_bindings_changed)

    @property
    def project(self) -> Project:
        return self.window.project

    @property
    def is_training(self) -> bool:
        return self.session is not None and self.session.is_running

    # -- one project ---------------------------------------------------------------------------
    def attach(self, project: Project) -> None:
        """A fresh session, panel and evaluation view for `project`, with its data, settings and runs restored
        (problems are reported, never raised: the project opens anyway)."""
        self._detach()
        self.bindings.attach(project, self.window.analysis)
        self.session = TrainingSession(self)
        self.panel = TrainingPanel(self.session)
        self.evaluation = EvaluationView()
        self.evaluation.follow(self.session)
        self.runs_view = RunsView()
        self.tabs.addTab(self.panel, "Training")
        self.tabs.addTab(self.evaluation, "Evaluation")
        self.tabs.addTab(self.runs_view, "Runs")
        self.runs_view.selection_changed.connect(self.panel.overlay_runs)
        self.session.run_started.connect(self._on_run_started)
        self.session.run_finished.connect(self._on_run_finished)
        self.session.state_changed.connect(lambda *_: self.update_state())
        self.evaluation.evaluated.connect(self._on_evaluated)
        self.evaluation.failed.connect(lambda *_: self.reading.emit("", -1.0))
        self.evaluation.reading.connect(self.reading)  # a new CSV file read for Predict
        self.evaluation.busy_changed.connect(self._on_evaluation_busy)  # Train waits for a prediction
        self.prepared, self.data_problem, self.loading = None, None, False
        problems = []
        if project.data:  # read on a thread: a large file must not freeze the window
            try:
                spec = self.data_spec()
            except DataError as e:
                self._on_data_failed(str(e), report=False)
                problems.append(self.data_problem)
            else:
                self.loading = True
                threshold = Preferences.load(QSettings()).stream_threshold
                self._reading_file = (os.path.basename(spec.path), will_stream(spec, threshold))
                self._loader.start(lambda progress: prepare_file(spec, progress=progress, threshold=threshold))
        if project.compile:  # the model factory, so that the saved weights can be restored before the data
            graph = project.graph
            self.session.configure(lambda: build_model(graph), None, project.compile)
        if project.runs:
            try:
                problem = self.session.restore_runs(project.runs)
            except (KeyError, TypeError, ValueError) as e:
                problem = f"The project's run history is damaged and was left out: {e}"
                self.session.runs = []
            if problem:
                problems.append(problem)
        if project.training:
            self.panel.set_settings(TrainingSettings.from_dict(project.training))
        self.panel.show_restored()
        self.runs_view.show_runs(self.session.runs)
        if self.session.model is not None:
            run = self.session.current_run
            problems.insert(0, f"Restored the trained model of run {run.run_id} ({run.epochs_done} epochs): "
                               "Training > Evaluate, or Continue Training.")
        self._dirty = False
        self._saved_training = self.panel.settings().to_dict()
        p = self.panel  # a changed training setting is an unsaved change: the window title shows it at once
        for signal in (p.epochs_spin.valueChanged, p.batch_spin.valueChanged, p.shuffle_check.toggled,
                       p.early_box.toggled, p.monitor_combo.currentTextChanged, p.patience_spin.valueChanged,
                       p.min_delta_spin.valueChanged, p.restore_check.toggled):
            signal.connect(lambda *_: self.project_changed.emit())
        self.update_state()
        self.notes = " ".join(problems)
        if problems:
            self.message.emit(self.notes)

    def _on_data_progress(self, fraction: float) -> None:
        name, chunks = self._reading_file
        if not chunks:
            text = f"Reading {name}"
        elif fraction < 0.5:
            text = f"Reading {name} in chunks, pass 1 of 2 (rows, categories, split)"
        else:
            text = f"Reading {name} in chunks, pass 2 of 2 (means, deviations)"
        self.reading.emit(text, fraction)

    def _on_epoch_reading(self, part: str, fraction: float) -> None:
        """Called in the training (or evaluation) thread as it reads the file a chunk at a time."""
        self.reading.emit(f"Reading {self._reading_file[0]}, {part} rows", fraction)

    def _watch_reading(self, prepared) -> None:
        """Data read in chunks: every epoch (and evaluation) reads the file again, shown in the status bar."""
        if hasattr(prepared, "reading"):
            self._reading_file = (os.path.basename(prepared.spec.path), True)
            prepared.reading = self._on_epoch_reading

    def _on_data_loaded(self, prepared) -> None:
        self.reading.emit("", -1.0)
        self._watch_reading(prepared)
        self.loading, self.prepared = False, prepared
        self.bindings.set_prepared(prepared)
        self._complete_bindings()
        saved = self.panel.settings().to_dict() == self._saved_training
        self._configure()
        if saved:  # configuring proposes settings for the data: keep the project's, and count neither as a change
            if self.project.training:
                self.panel.set_settings(TrainingSettings.from_dict(self.project.training))
            self._saved_training = self.panel.settings().to_dict()
            self.project_changed.emit()
        if self.session.model is not None:
            self.evaluation.set_model(self.session.model, self.session.training_data, self.session.feed)
        self.update_state()

    def _on_data_failed(self, error: str, report: bool = True) -> None:
        self.reading.emit("", -1.0)
        if not error:  # cancelled: another project replaced this one
            return
        self.loading = False
        self.data_problem = f"The project's data cannot be read: {error} Import it again (Data > Import CSV…)."
        if report:
            self.message.emit(self.data_problem)
            self.update_state()

    def shutdown(self) -> None:
        """The window closes: end every thread (data reading, training, evaluation)."""
        self._detach()

    def _detach(self) -> None:
        self._loader.cancel()
        if self.session is None:
            return
        self.session.stop()
        self.session.wait()
        self.tabs.clear()
        self.evaluation.close()  # cancels an evaluation or prediction still running
        for obj in (self.panel, self.evaluation, self.runs_view, self.session):
            obj.deleteLater()
        self.session = self.panel = self.evaluation = None

    def project_dir(self) -> str | None:
        return os.path.dirname(os.path.abspath(self.project.path)) if self.project.path else None

    def data_spec(self) -> DataSpec:
        """The project's data spec, its CSV path resolved against the project's folder."""
        return DataSpec.from_dict(self.project.data, base_dir=self.project_dir())

    def data_for_file(self, path: str) -> dict | None:
        """The project's "data" as it is to be written to `path`: the CSV path relative to that file's folder."""
        data = self.project.data
        if not data or not isinstance(data.get("path"), str):
            return data
        absolute = resolve_path(data["path"], self.project_dir())
        return {**data, "path": portable_path(absolute, os.path.dirname(os.path.abspath(path)))}

    def _configure(self) -> None:
        if self.prepared is None or not self.project.compile or self.session is None or self.is_training:
            return
        graph = self.project.graph
        self.session.configure(lambda: build_model(graph), self.prepared, self.project.compile, self.bindings.feed())
        if self.session.model is None and self.project.runs:  # e.g. an imported model, compiled only now
            problem = self.session.restore_runs(self.project.runs)
            if problem:
                self.message.emit(problem)

    # -- saving --------------------------------------------------------------------------------
    def store_training_settings(self) -> None:
        self.project.training = self.panel.settings().to_dict()

    def is_modified(self) -> bool:
        return self._dirty or (self.panel is not None and self.panel.settings().to_dict() != self._saved_training)

    def mark_saved(self) -> None:
        self._dirty = False
        if self.panel is not None:
            self._saved_training = self.panel.settings().to_dict()

    def _changed(self) -> None:
        self._dirty = True
        self.project_changed.emit()
        self.update_state()

    # -- what can be done ----------------------------------------------------------------------
    def train_blocker(self) -> str | None:
        """Why Train cannot start now, in words saying what to do; None when it can."""
        if self.is_training:
            return "Training is running."
        if self.evaluation is not None and self.evaluation.is_predicting:
            return PREDICTION_BUSY
        if self.data_problem:
            return self.data_problem
        if self.loading:
            return "Reading the data file…"
        if self.prepared is None:
            return IMPORT_HINT
        if not self.project.compile:
            return COMPILE_HINT
        graph, analysis = self.project.graph, self.window.analysis.current
        problems = list(analysis.problems) + [f"{graph.nodes[n].name}: {e}" for n, e in analysis.errors.items()]
        if problems:
            return f"The model has a problem to fix first — {problems[0]}"
        problems = self.bindings.problems()
        if problems:
            node, problem = next(iter(problems.items()))
            return f"The data does not fit the model — {problem}"
        for node in graph.input_nodes():
            shape = self.bindings.expected_shape(node.name)
            node_shape = tuple(node.config.get("shape") or ())
            if shape is not None and node_shape != shape:
                return (f"The Input '{node.name}' takes shape {node_shape}, but its data gives samples of shape "
                        f"{shape}: change the Input's shape, or its columns (select it: Data in the properties).")
        tasks = self._output_tasks()
        if self.project.compile and tasks:
            try:
                check_settings(self.project.compile, {t.name: t.task for t in tasks} if len(tasks) > 1
                               else tasks[0].task)
            except (KeyError, TypeError, ValueError) as err:
                return f"The compile settings do not fit the model's outputs ({err}): Model > Compile…"
        return None

    def _output_tasks(self) -> list[OutputTask]:
        """The model's outputs that are bound to a target, with its task, in model order (for compile settings;
        whether each head fits its target is the feed's question)."""
        p = self.prepared.preprocessor
        targets = {t.name: t for t in p.targets}
        out = []
        for node_id in self.project.graph.model_outputs():
            name = self.project.graph.nodes[node_id].name
            t = targets.get(self.bindings.target_of(name))
            if t is not None:
                out.append(OutputTask(name, t.task, len(t.classes), t.name))
        return out

    def _complete_bindings(self) -> None:
        """Propose bindings for the nodes that have none (a second Input, a new output...), without an undo step:
        they are what training would ask for, and the user changes them in the properties."""
        proposed = self.bindings.proposed()
        if proposed != self.bindings.bindings():
            self.bindings.set_bindings(proposed)

    def _on_bindings_changed(self) -> None:
        if self.session is None:
            return
        if not self.is_training and self.session.data is not None:
            self.session.set_feed(self.bindings.feed())
        self.update_state()

    def compile_blocker(self) -> str | None:
        if self.is_training:
            return "Stop training before changing the compile settings."
        if self.loading:
            return "Reading the data file…"
        if self.prepared is None:
            return "Import data first (Data > Import CSV…): the loss and metrics depend on the target."
        bound = {t.name for t in self._output_tasks()}
        graph = self.project.graph
        unbound = [graph.nodes[n].name for n in graph.model_outputs() if graph.nodes[n].name not in bound]
        if unbound:
            return (f"Output '{unbound[0]}' has no target: select it and choose the column it learns (Data in the "
                    "properties) before compiling.")
        return None

    def update_state(self) -> None:
        if self.panel is not None and not self.is_training:
            self.panel.set_blocker(self.train_blocker())
        self.state_changed.emit()

    def describe(self) -> str:
        """Data and compile settings in a few words, for the status bar."""
        if self.data_problem:
            return "Data: cannot be read"
        if self.loading:
            return "Data: reading…"
        if self.prepared is None:
            return "No data"
        p = self.prepared
        text = f"Data: {os.path.basename(p.spec.path)} ({len(p.train)} train"
        text += f" / {len(p.validation)} validation)" if p.validation is not None else ")"
        compile_settings = self.project.compile
        return text + (f" · {compile_settings['loss']}, {compile_settings['optimizer']['name']}" if compile_settings
                       else " · not compiled")

    def data_summary(self) -> str:
        if self.prepared is None:
            return self.data_problem or IMPORT_HINT
        return f"{self.prepared.spec.path}\n{self.prepared.summary()}"

    # -- actions -------------------------------------------------------------------------------
    def import_csv(self, path: str | None = None) -> bool:
        """The import dialog on the project's data (or empty, or on the CSV file `path`); True when new data
        was taken."""
        if self.is_training:
            self.message.emit("Stop training before importing other data.")
            return False
        try:
            spec = self.data_spec() if self.project.data else None
        except DataError:
            spec = None
        recurrent = {"LSTM", "GRU", "SimpleRNN", "Bidirectional", "ConvLSTM1D"}
        sequence_model = any(n.type in recurrent for n in self.project.graph.nodes.values())
        dialog = ImportDialog(self.window, spec=None if path else spec, sequence_model=sequence_model,
                              outputs=len(self.project.graph.model_outputs()))
        if path:
            dialog.load_file(path)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.prepared is None:
                return False
            spec, prepared = dialog.spec, dialog.prepared
        finally:
            dialog.deleteLater()
        self._loader.cancel()  # the project's old data, if still being read, is replaced
        self.loading = False
        spec.path = os.path.abspath(spec.path)
        self.project.data = {**spec.to_dict(relative_to=self.project_dir()),
                             "preprocessor": prepared.preprocessor.to_dict()}
        self.prepared, self.data_problem = prepared, None
        self._watch_reading(prepared)
        self.bindings.set_prepared(prepared)
        self._complete_bindings()
        self._fit_inputs()
        self._fit_embeddings(prepared.preprocessor, spec.category_codes_from)
        note = ""
        if self.project.compile:
            try:
                tasks = self._output_tasks()
                check_settings(self.project.compile, {t.name: t.task for t in tasks} if len(tasks) > 1
                               else tasks[0].task if tasks else prepared.preprocessor.task)
            except (KeyError, TypeError, ValueError) as e:
                self.project.compile = None
                note = f" The compile settings no longer fit ({e}) — compile again (Model > Compile…)."
        self._configure()
        self.evaluation.set_model(None, None)  # the trained model was trained on other data
        self._changed()
        self.message.emit(f"Data: {prepared.summary()}.{note}")
        return True

    def _fit_inputs(self) -> None:
        """Give each Input node the shape of the columns bound to it (undoable steps)."""
        for node in self.project.graph.input_nodes():
            self.bindings.fit_input_shape(node.name)

    def _fit_embeddings(self, preprocessor, codes_from: int) -> None:
        """An Embedding fed by an Input takes every index its data gives (one undoable step per Embedding that was
        smaller): text, the fitted vocabulary's size; category columns taken as codes, the most categories plus
        `codes_from` (code 0 kept for a category not seen in training)."""
        encoder = preprocessor.encoder
        graph = self.project.graph
        text = getattr(encoder, "kind", None) == "text"
        if text and len(graph.input_nodes()) != 1:
            return
        widths = {f.name: len(f.categories) for f in preprocessor.features if f.type == "categorical"}
        for node in graph.input_nodes():
            bound = self.bindings.bindings().inputs.get(node.name) or []  # unbound: takes the table one-hot
            columns = [c for c in bound if c in widths]
            needed = encoder.vocabulary_size if text else max([widths[c] for c in columns], default=0) + codes_from
            for wire in graph.consumers(node.id):
                layer = graph.nodes[wire.target]
                if (text or columns) and layer.type == "Embedding" and \
                        int(layer.config.get("input_dim") or 0) < needed:
                    config = {**layer.config, "input_dim": needed}
                    self.window.undo_stack.push(SetConfigCommand(graph, layer.id, config, what="vocabulary size"))

    def compile(self) -> bool:
        """The compile dialog; True when settings were accepted. Offers to fit the output layer to the loss."""
        blocker = self.compile_blocker()
        if blocker:
            self.message.emit(blocker)
            return False
        p = self.prepared.preprocessor
        outputs = self._output_tasks()
        dialog = CompileDialog(p.task, len(p.class_names), settings=self.project.compile, parent=self.window,
                               outputs=outputs)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            settings, layers, (units, activation) = dialog.settings(), dialog.output_layers(), dialog.output_layer()
        finally:
            dialog.deleteLater()
        self.project.compile = settings
        self._configure()
        self._changed()
        if len(outputs) > 1:
            self._offer_output_layers(layers, settings)
        else:
            self._offer_output_layer(units, activation, settings["loss"])
        self.message.emit(f"Compiled: {settings['loss']}, {settings['optimizer']['name']}, metrics "
                          f"{', '.join(settings['metrics']) or 'none'}.")
        return True

    def _offer_output_layers(self, layers: dict[str, tuple[int, str]], settings: dict) -> None:
        """Several outputs: one question listing every Dense output layer that does not fit its loss."""
        graph = self.project.graph
        changes = []
        for node in graph.nodes.values():
            if node.name in layers and node.type == "Dense":
                units, activation = layers[node.name]
                if (node.config.get("units"), node.config.get("activation")) != (units, activation):
                    changes.append((node, units, activation))
        if not changes:
            return
        lines = "\n".join(f"• '{n.name}' ({settings['outputs'][n.name]['loss']}): Dense({u}, '{a}') instead of "
                          f"Dense({n.config.get('units')}, '{n.config.get('activation')}')" for n, u, a in changes)
        answer = QMessageBox.question(
            self.window, "Output layers", f"The losses expect other output layers:\n{lines}\n\nChange them to fit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            self.window.undo_stack.beginMacro("Fit the output layers to their losses")
            for node, units, activation in changes:
                config = {**node.config, "units": units, "activation": activation}
                self.window.undo_stack.push(SetConfigCommand(graph, node.id, config, what="output"))
            self.window.undo_stack.endMacro()

    def _offer_output_layer(self, units: int, activation: str, loss: str) -> None:
        graph = self.project.graph
        outputs = graph.model_outputs()
        if len(outputs) != 1:
            return
        node = graph.nodes[outputs[0]]
        if node.type != "Dense":
            return
        if (node.config.get("units"), node.config.get("activation")) == (units, activation):
            return
        answer = QMessageBox.question(
            self.window, "Output layer",
            f"The loss {loss} expects the last layer to have {units} unit{'s' if units != 1 else ''} with a "
            f"{activation} activation; '{node.name}' has {node.config.get('units')} with "
            f"{node.config.get('activation')}.\n\nChange '{node.name}' to fit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            config = {**node.config, "units": units, "activation": activation}
            self.window.undo_stack.push(SetConfigCommand(graph, node.id, config, what="output"))

    def train(self) -> bool:
        """A new run with the panel's settings; False (and a message saying why) when it cannot start."""
        blocker = self.train_blocker()
        if blocker:
            self.message.emit(blocker)
            return False
        self.tabs.setCurrentWidget(self.panel)
        self.panel.train()
        return self.is_training

    def continue_training(self) -> bool:
        if self.train_blocker() or not self.session.can_continue:
            self.message.emit(self.train_blocker() or "There is no run to continue: press Train first.")
            return False
        self.tabs.setCurrentWidget(self.panel)
        self.panel.continue_training()
        return self.is_training

    def stop(self) -> None:
        if self.is_training:
            self.session.stop()
            self.message.emit("Stopping after the current batch…")

    def evaluate(self) -> bool:
        self.tabs.setCurrentWidget(self.evaluation)
        if not self.evaluation.can_evaluate():
            self.message.emit(EVALUATION_BUSY if self.evaluation.is_busy else "Evaluation waits until training ends."
                              if self.is_training else "Nothing to evaluate yet: train the model first.")
            return False
        self._quiet_evaluation = False
        self.evaluation.evaluate()
        return True

    def stop_training(self, why: str, ask: bool = True) -> bool:
        """Before replacing or closing the project: stop a running training (asking first); False if the user
        keeps it running."""
        if not self.is_training:
            return True
        if ask:
            answer = QMessageBox.question(
                self.window, "Training is running", f"Training is running. Stop it {why}?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.session.stop()
        deadline = time.monotonic() + 30
        while self.is_training and time.monotonic() < deadline:  # the run's end arrives as a queued signal
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return not self.is_training

    # -- session events ------------------------------------------------------------------------
    def _on_run_started(self, run) -> None:
        self.message.emit(f"Run {run.run_id}: training… (the model cannot be edited until it ends)")
        self.state_changed.emit()

    def _on_run_finished(self, run) -> None:
        self.reading.emit("", -1.0)
        self.project.runs = self.session.runs_to_dicts()
        self.store_training_settings()
        self._changed()
        last = {k: v[-1] for k, v in run.history.items() if v}
        shown = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k.startswith("val_")) or \
            ", ".join(f"{k} {v:.4g}" for k, v in last.items())
        self.message.emit(f"Run {run.run_id} {STATUS_WORDS.get(run.status, run.status)} after {run.epochs_done} epochs"
                          f"{': ' + shown if shown else ''}.")
        self.runs_view.show_runs(self.session.runs)
        if self.evaluation.can_evaluate():  # the Evaluation tab is ready without pressing Evaluate
            self._quiet_evaluation = True  # the run's own message stays in the status bar
            self.evaluation.evaluate()

    def _on_evaluation_busy(self, busy: bool) -> None:
        if not busy:  # ended: an evaluation after a run that was cancelled reports nothing
            self._quiet_evaluation = False
        self.update_state()

    def _on_evaluated(self, metrics: dict) -> None:
        self.reading.emit("", -1.0)
        if self._quiet_evaluation:
            self._quiet_evaluation = False
            return
        self.message.emit("Evaluated: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()
                                                    if isinstance(v, (int, float))))

    @property
    def idle(self) -> bool:
        return self.session is None or self.session.state == IDLE
