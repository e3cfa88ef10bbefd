#!/bin/sh
# Builds the Debian package from a finished build folder, unpacks it into a scratch root and runs
# the installed lts-search: --version and a short headless search.
set -eu
build=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$build"
rm -f lts-studio_*.deb
cpack -G DEB >"$scratch/cpack.log" 2>&1 || { cat "$scratch/cpack.log"; exit 1; }
deb=$(ls lts-studio_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for need in libopenblas0-pthread libtorch libqt6core6; do
  case "$depends" in *"$need"*) ;; *) echo "missing runtime dependency $need"; exit 1 ;; esac
done
dpkg-deb -x "$deb" "$scratch/root"
bin="$scratch/root/usr/bin"
test -x "$bin/lts-search"
test -f "$scratch/root/usr/share/man/man1/lts-search.1"
if [ -x "$build/app/lts-studio" ]; then
  test -x "$bin/lts-studio"
  test -f "$scratch/root/usr/share/applications/lts-studio.desktop"
  test -f "$scratch/root/usr/share/icons/hicolor/scalable/apps/lts-studio.svg"
  test -f "$scratch/root/usr/share/metainfo/io.github.lts_studio.LtsStudio.metainfo.xml"
fi
"$bin/lts-search" --version | grep -q "^lts-search "
cat >"$scratch/tiny.json" <<'JSON'
{"name": "tiny", "backbone": "gpt2", "n_layer": {"min": 1, "max": 2}, "d_model": [32, 64], "n_head": [2],
 "d_inner": [64, 128], "div_val": 1, "d_embed": 32, "vocab_size": 300, "seq_len": 8,
 "search": {"iterations": 2, "parents": 2, "mutants": 2, "crossovers": 2}, "device": {"warmup": 0, "repeats": 2}}
JSON
"$bin/lts-search" run --space "$scratch/tiny.json" --out "$scratch/run" --time-budget 60 >"$scratch/out.txt"
grep -q "Pareto frontier" "$scratch/out.txt"
test "$(wc -l <"$scratch/run/candidates.jsonl")" -ge 6
test -s "$scratch/run/frontier.csv"
echo "package $deb installs and runs"
