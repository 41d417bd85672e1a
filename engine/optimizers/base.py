"""The `Optimizer` base class: turns gradients into in-place updates of variables, as Keras 3 does.

One step (`apply`) filters missing gradients, unscales them (`loss_scale_factor`), clips them
(`clipnorm`, `global_clipnorm` or `clipvalue`), decays the weights (`var -= var * weight_decay * lr`),
lets the subclass update each variable (`update_step`), keeps the moving averages (`use_ema`),
applies each variable's constraint, then counts the step in `iterations`.

Subclasses create their slots in `build` with `add_optimizer_variables` and update one variable in
`update_step`. The built-in optimizers do it in one compiled pass over the variable, its gradient and its
slots (`_run_step` with a kernel of engine/kernels/optimizer_steps.py), so a step allocates nothing and
reads each array once.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from engine import backend
from engine.kernels.optimizer_steps import moving_average_step
from engine.optimizers import schedules
from engine.optimizers.clipping import clip_by_global_norm, clip_by_norm
from engine.variables import Variable


def _flat_view(array: np.ndarray, variable: Variable) -> np.ndarray:
    """`array` as one axis, sharing its memory (the optimizer writes through it)."""
    flags = array.flags
    if not (flags.c_contiguous and flags.writeable):
        raise ValueError(f"Variable {variable.path!r}: the optimizer can only update a writable C-contiguous "
                         "array in place; assign the variable a fresh array.")
    return array.reshape(-1)


_EMPTY = {np.dtype(np.float32): np.empty(0, np.float32), np.dtype(np.float64): np.empty(0, np.float64)}  # unused slots


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class Optimizer:
    """Base class of every optimizer; subclass it and override `build`, `update_step` and `get_config`."""

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema: bool = False, ema_momentum: float = 0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name: str | None = None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        clip_args = sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm))
        if clip_args > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                             f"Received: gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache: dict[int, bool] = {}
        self._step = 0  # the value of `iterations` during the current update

        self._iterations = self._make_variable(np.zeros((), "int64"), "iteration")
        self._learning_rate = None
        self.learning_rate = learning_rate

    # -- learning rate and step count ----------------------------------------------------------
    @property
    def iterations(self) -> Variable:
        """How many steps the optimizer has taken (with gradient accumulation: how many updates)."""
        if self.gradient_accumulation_steps:
            return Variable(int(self._iterations.value) // self.gradient_accumulation_steps, dtype="int64",
                            trainable=False, name="iteration")
        return self._iterations

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step: the set value, or the schedule at `iterations`."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        current = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(current, Variable):
                self._variables = [v for v in self._variables if v is not current]
            return
        learning_rate = getattr(learning_rate, "value", learning_rate)  # a Variable or Tensor
        if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0:
            learning_rate = learning_rate.item()
        if not _is_number(learning_rate):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
                "(that takes in the current iteration value and returns the corresponding learning rate value). "
                f"Received instead: learning_rate={learning_rate!r}")
        if isinstance(current, Variable):
            current.value[...] = learning_rate
        elif current is not None:
            raise TypeError(
                f"This optimizer was created with a `{type(current).__name__}` as its `learning_rate` constructor "
                "argument, hence its learning rate is not settable. If you need the learning rate to be settable, "
                "you should instantiate the optimizer with a float `learning_rate` argument.")
        else:
            self._learning_rate = self._make_variable(np.asarray(learning_rate, backend.floatx()), "learning_rate")

    def _current_learning_rate(self) -> float:
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.value)
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(int(self._iterations.value)))
        return float(lr())

    # -- variables -----------------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state in Keras's order: iteration, learning rate, then the slots as built."""
        return self._variables[:]

    def _make_variable(self, value: np.ndarray, name: str) -> Variable:
        variable = Variable(value, dtype=value.dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation: str = "none", layout=None,
                     name: str | None = None) -> Variable:
        """A new optimizer variable (not trainable), tracked in `variables`."""
        shape, dtype = tuple(shape), dtype or backend.floatx()
        if initializer == "zeros":
            value = np.zeros(shape, dtype)
        elif initializer == "ones":
            value = np.ones(shape, dtype)
        elif _is_number(initializer):
            value = np.full(shape, initializer, dtype)
        else:
            if isinstance(initializer, (str, dict)):
                from engine import initializers
                initializer = initializers.get(initializer)
            value = np.asarray(initializer(shape, dtype=dtype), dtype)
        return self._make_variable(value, name or "variable")

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer="zeros") -> Variable:
        """A slot shaped like `reference_variable`, named `{path with _}_{name}` as Keras names it."""
        prefix = str(getattr(reference_variable, "path", reference_variable.name)).replace("/", "_")
        return self.add_variable(reference_variable.shape, initializer, reference_variable.dtype,
                                 name=f"{prefix}_{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables: Sequence[Variable], name, initializer="zeros"):
        """One slot per variable for each name (interleaved per variable, as Keras orders them)."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        if len(inits) != len(names):
            raise ValueError("The number of provided names must match the number of provided initializers. "
                             f"Received name={name!r}, initializer={initializer!r}")
        slots: tuple[list[Variable], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for out, slot_name, init in zip(slots, names, inits):
                out.append(self.add_variable_from_reference(variable, slot_name, init))
        return slots[0] if isinstance(name, str) else slots

    def build(self, variables: Sequence[Variable]) -> None:
        """Prepare for these variables; subclasses create their slots after calling this."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(variables, "gradient_accumulator")
        self._trainable_variables = variables
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        self.built = True

    def _get_variable_index(self, variable: Variable) -> int:
        return self._trainable_variables_indices[id(variable)]

    def set_weights(self, weights: Sequence) -> None:
        """Set the optimizer's state from arrays in the order of `variables`."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                             "call `optimizer.build(trainable_variables)` to create the optimizer weights first.")
        for variable, weight in zip(self._variables, weights):
            weight = np.asarray(weight)
            if variable.shape != weight.shape:
                raise ValueError(f"Optimizer variable {variable.path!r} has shape {variable.shape} not compatible "
                                 f"with provided weight shape {weight.shape}.")
            variable.assign(weight)

    def save_own_variables(self, store) -> None:
        """Write the state into `store` under "0", "1"... as Keras saves it."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = np.array(variable.value)

    def load_own_variables(self, store) -> None:
        """Read the state written by `save_own_variables` (skipped with a warning if the count differs)."""
        if len(store.keys()) != len(self._variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has {len(self._variables)} "
                   f"variables whereas the saved optimizer has {len(store.keys())} variables. ")
            if len(self._variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(np.asarray(store[str(i)]))

    # Keras lets update steps go through these so backends can specialise them.
    def assign(self, variable: Variable, value) -> None:
        variable.assign(value)

    def assign_add(self, variable: Variable, value) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable: Variable, value) -> None:
        variable.assign_sub(value)

    # -- a step --------------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable) -> Variable:
        """Apply `(gradient, variable)` pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Sequence, trainable_variables: Sequence[Variable] | None = None) -> None:
        """Update the variables from their gradients (None gradients are skipped)."""
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built on "
                                 "a list of variables. Call `optimizer.build(trainable_variables)` first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"`optimizer.variables` one-to-one. Received a list of {len(grads)} gradients, but "
                                 f"the optimizer is tracking {len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(f"Received {len(grads)} gradients for {len(trainable_variables)} variables; "
                                 "expected one gradient (or None) per variable.")
            if not self.built:
                self.build(trainable_variables)
            indices = self._trainable_variables_indices
            for v in trainable_variables:
                if id(v) not in indices:
                    raise ValueError(
                        f"Unknown variable: {getattr(v, 'path', v)!r}. This optimizer can only be called for the "
                        "variables it was originally built with. When working with a new set of variables, you "
                        "should recreate a new optimizer instance.")

        grads, variables = self._checked_gradients(grads, trainable_variables)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        step = int(self._iterations.value)
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, variables, step)
        else:
            self._step = step
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()
        for variable in variables:
            constraint = variable.constraint
            if constraint is not None:
                variable.assign(constraint(variable.value))
        count = self._iterations.value
        count += 1  # in place: no attribute assignment

    def _checked_gradients(self, grads, variables) -> tuple[list[np.ndarray], list[Variable]]:
        """Gradients as arrays of their variable's dtype, without the missing ones; bad shapes raise."""
        out_grads, out_vars, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", v.name))
                continue
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            value = v.value
            if g.shape != value.shape:
                raise ValueError(f"Gradient for variable {v.path!r} has shape {g.shape}, but the variable has shape "
                                 f"{value.shape}.")
            if g.dtype != value.dtype:
                g = g.astype(value.dtype)
            out_grads.append(g)
            out_vars.append(v)
        if not out_grads:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                          "`model.compile()`, did you forget to provide a `loss` argument?", stacklevel=3)
        return out_grads, out_vars

    def _update(self, grads: list[np.ndarray], variables: list[Variable]) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        self._backend_update_step(grads, variables, self._current_learning_rate())

    def _backend_update_step(self, grads: list[np.ndarray], variables: list[Variable], learning_rate: float) -> None:
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        """Update one variable in place from its gradient; `self._step` is the current `iterations`."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`.")

    def _run_step(self, step_kernel, variable: Variable, gradient: np.ndarray, slots: Sequence[Variable | None],
                  scalars: Sequence[float], flags: Sequence[bool] = ()) -> None:
        """`step_kernel(w, g, *slots, *scalars, *flags)` over the flattened arrays, in place.

        Scalars are cast to the variable's dtype, as Keras casts them; a slot that is None (unused by this
        configuration) is passed as an empty array. Numba computes no float16: such variables are updated
        in float32 and stored back.
        """
        w = variable.value
        if w.dtype == np.float16:
            self._run_step_in_float32(step_kernel, variable, gradient, slots, scalars, flags)
            return
        cast = w.dtype.type
        step_kernel(_flat_view(w, variable), gradient.reshape(-1),
                    *[_EMPTY[w.dtype] if slot is None else _flat_view(slot.value, slot) for slot in slots],
                    *[cast(x) for x in scalars], *flags)

    def _run_step_in_float32(self, step_kernel, variable, gradient, slots, scalars, flags) -> None:
        targets = [variable, *(slot for slot in slots if slot is not None)]
        wide = [Variable(t.value, dtype="float32", trainable=False, name=t.name) for t in targets]
        copies = iter(wide[1:])
        self._run_step(step_kernel, wide[0], gradient.astype(np.float32),
                       [None if slot is None else next(copies) for slot in slots], scalars, flags)
        for target, value in zip(targets, wide):
            target.value[...] = value.value

    def _accumulate_or_update(self, grads, variables, raw_step: int) -> None:
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)].value for v in variables]
        if (raw_step + 1) % steps:
            for g, acc in zip(grads, accumulators):
                acc += g
            return
        grads = [(g + acc) / steps for g, acc in zip(grads, accumulators)]
        self._step = raw_step // steps
        self._update(grads, variables)
        for acc in self._accumulated_gradients:
            acc.value[...] = 0

    # -- gradient clipping and weight decay --------------------------------------------------
    def _clip_gradients(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Skip weight decay for these variables, and for those whose name contains one of `var_names`."""
        self._exclude_from_weight_decay = {id(v) for v in var_list} if var_list else set()
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names))) if var_names else None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable: Variable) -> bool:
        key = id(variable)
        cached = self._exclude_from_weight_decay_cache.get(key)
        if cached is None:
            pattern = self._exclude_from_weight_decay_pattern
            cached = key not in self._exclude_from_weight_decay and (
                pattern is None or pattern.search(variable.name) is None)
            self._exclude_from_weight_decay_cache[key] = cached
        return cached

    def _apply_weight_decay(self, variables: list[Variable]) -> None:
        if self.weight_decay is None:
            return
        lr = self._current_learning_rate()
        for v in variables:
            if self._use_weight_decay(v):
                dt = v.dtype.type  # in the variable's dtype, as Keras computes it
                w = v.value
                w *= dt(1) - dt(self.weight_decay) * dt(lr)

    # -- moving averages (use_ema) -----------------------------------------------------------
    def _update_moving_averages(self) -> None:
        step = int(self.iterations)
        momentum = self.ema_momentum if step != 0 else 0.0
        for v, average in zip(self._trainable_variables, self._model_variables_moving_average):
            dt = average.dtype.type  # 1 - momentum in the variable's dtype, as Keras computes it
            self._run_step(moving_average_step, average, v.value, (), (dt(momentum), dt(1) - dt(momentum)))
        if self.ema_overwrite_frequency and (step + 1) % self.ema_overwrite_frequency == 0:
            self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _overwrite_model_variables_with_average_value(self, variables: Sequence[Variable]) -> None:
        if len(variables) != len(self._model_variables_moving_average):
            raise ValueError(f"The length of model variables ({len(variables)}) to override does not match the "
                             "length of model variables stored in the optimizer "
                             f"({len(self._model_variables_moving_average)}). Please check if the optimizer was "
                             "called on your model.")
        for v, average in zip(variables, self._model_variables_moving_average):
            v.assign(average.value)

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """At the end of training: with `use_ema`, replace the variables by their moving averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """The loss multiplied by `loss_scale_factor` (if set), before gradients are computed."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # -- configuration -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, with Keras's keys (no state)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            learning_rate = float(lr.value)
        elif isinstance(lr, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(lr)
        else:  # a plain callable: we never serialize code, so keep its current value
            learning_rate = self._current_learning_rate()
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A new optimizer (without state) from `get_config()`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, learning_rate={self.learning_rate:g}>"

