#!/usr/bin/env bash
# Build the standalone bundle (packaging/build_bundle.py) and check it runs: --version, a 2-epoch `train` on a
# copy of the MLP example taken from inside the bundle, and the window opened offscreen (--smoke-test).
# Optional and slow (a few minutes): not part of .ci/run. Usage: packaging/smoke_bundle.sh [--no-build]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="$ROOT/dist/LayerStudio"
EXE="$BUNDLE/LayerStudio"
export QT_QPA_PLATFORM=offscreen
if [[ "${1:-}" != "--no-build" ]]; then
    python "$ROOT/packaging/build_bundle.py"
fi
echo "bundle size: $(du -sh "$BUNDLE" | cut -f1)"

# Run from an empty folder with no PYTHONPATH: the bundle must not fall back on the source tree.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
unset PYTHONPATH

"$EXE" --version | grep -q "^LayerStudio " || { echo "--version failed" >&2; exit 1; }
"$EXE" --version

# The example and its CSV as shipped inside the bundle (the project names its data as ../data/iris.csv).
ASSETS="$BUNDLE/_internal/studio/assets"
mkdir -p examples data
cp "$ASSETS/examples/mlp.lsproj" examples/
cp "$ASSETS/data/iris.csv" data/
"$EXE" train examples/mlp.lsproj --epochs 2

start=$(date +%s.%N)
"$EXE" --smoke-test examples/mlp.lsproj
end=$(date +%s.%N)
echo "window smoke: $(python -c "print(f'{$end - $start:.2f}')") s from process start to exit"
echo "bundle smoke test passed"
