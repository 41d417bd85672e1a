"""A small Palmer-penguins-like CSV for import tests: an ID, a constant, a date, free text, a mostly-missing
column, species (the target a user wants) and year (the last column, which is not)."""

from __future__ import annotations

import numpy as np

SPECIES = ["Adelie", "Chinstrap", "Gentoo"]


def write_penguins(path, rows: int = 120, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lines = ["Sample ID,studyName,species,island,Date Egg,bill_length_mm,bill_depth_mm,flipper_length_mm,"
             "body_mass_g,sex,Delta 15 N,Comments,year"]
    for i in range(rows):
        k = i % 3
        bill = "NA" if i in (3, 50) else f"{38 + 6 * k + rng.normal():.1f}"
        delta = f"{8 + rng.normal():.5f}" if i % 4 == 0 else ""  # 75 % missing
        comment = f'"Nest {i} observed on a rainy morning, {i % 5} eggs"' if i % 5 == 0 else ""  # 80 % missing
        lines.append(",".join([
            f"PAL-{i:04d}", "PAL0708", SPECIES[k], ["Torgersen", "Biscoe", "Dream"][(i + k) % 3],
            f"2007-11-{1 + i % 28:02d}", bill, f"{15 + 2 * k + rng.normal():.1f}",
            f"{180 + 15 * k + rng.integers(0, 10)}", f"{3500 + 800 * k + rng.integers(0, 300)}",
            "NA" if i % 17 == 0 else ["male", "female"][i % 2], delta, comment, str(2007 + i % 3)]))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def trained(project, spec, folder, epochs: int = 2):
    """`project` with `spec` as its data, trained `epochs` epochs headless; its path is in `folder`."""
    from studio import headless

    project.data = spec.to_dict()
    project.compile = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}},
                       "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    project.training = {"epochs": epochs, "batch_size": 32}
    project.path = str(folder / "project.lsproj")
    headless.train(project, epochs=epochs)
    return project


def penguins_project(folder, numbers_only: bool = False):
    """(project, CSV path): a model trained on a penguins-like table in `folder`: `sex` (categorical) and
    `body_mass_g` have their missing values filled, rows missing `bill_length_mm` are dropped; `numbers_only`
    keeps the four measurements alone."""
    from studio.data import DataSpec, read_csv
    from studio.data.columns import ColumnRole
    from studio.data.spec import MissingStrategy
    from studio.document.examples import _Builder

    csv_path = folder / "penguins.csv"
    write_penguins(csv_path)
    spec = DataSpec.from_table(read_csv(csv_path))
    for name, strategy in (("sex", "fill"), ("body_mass_g", "fill"), ("bill_length_mm", "drop_rows")):
        spec.column(name).missing = MissingStrategy(strategy)
    spec.column("year").role = ColumnRole.IGNORE
    if numbers_only:
        spec.column("island").role = spec.column("sex").role = ColumnRole.IGNORE
    b = _Builder()
    b.add("Input", "features", shape=[4 if numbers_only else 9])  # 3 islands, 4 numbers, 2 sexes
    b.add("Dense", "hidden", ["features"], units=8, activation="relu")
    b.add("Dense", "species", ["hidden"], units=3, activation="softmax")
    return trained(b.project(), spec, folder), csv_path
