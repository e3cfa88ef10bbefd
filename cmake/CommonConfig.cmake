# One INTERFACE target with the compile settings every target of the project shares.
add_library(lts_common INTERFACE)
target_compile_options(lts_common INTERFACE -Wall -Wextra)
target_compile_definitions(lts_common INTERFACE
  QT_DISABLE_DEPRECATED_UP_TO=0x060400
  QT_NO_CAST_FROM_BYTEARRAY
  LTS_VERSION="${PROJECT_VERSION}")
