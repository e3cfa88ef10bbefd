#!/bin/sh
# Fails when a torch header is reachable from outside core's private files, or a widget from core.
# Private torch headers of core are named *_torch.h and may only be included by core's .cpp files.
set -eu
root=$1
status=0
torch='#include *[<"](torch/|ATen/|c10/|caffe2/)'
for f in $(find "$root/core" -name '*.h' ! -name '*_torch.h'); do
  if grep -Eq "$torch|_torch\.h" "$f"; then echo "public core header includes torch: $f"; status=1; fi
done
for dir in ui app tests; do
  [ -d "$root/$dir" ] || continue
  for f in $(find "$root/$dir" -name '*.h' -o -name '*.cpp'); do
    if grep -Eq "$torch|_torch\.h" "$f"; then echo "torch header outside core: $f"; status=1; fi
  done
done
for f in $(find "$root/core" -name '*.h' -o -name '*.cpp'); do
  if grep -Eq '#include *[<"](QtWidgets|QWidget|QMainWindow|QApplication|qcustomplot)' "$f"; then
    echo "widget header in core: $f"; status=1
  fi
done
[ $status = 0 ] && echo "layering ok"
exit $status
