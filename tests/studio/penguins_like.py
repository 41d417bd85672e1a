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
