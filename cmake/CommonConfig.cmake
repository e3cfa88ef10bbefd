# One INTERFACE target with the compile settings every target of the project shares.
add_library(lts_common INTERFACE)
# Inline functions stay private to each binary: Debian's LibTorch loads Qt 5 (through OpenCV)
# beside our Qt 6, and an exported copy of a Qt 6 inline such as QByteArray::append would
# capture Qt 5's calls to the same name.
# Qt's, LibTorch's and QCustomPlot's headers come in as system includes (imported targets), so
# the stricter warnings apply to the project's own code only.
target_compile_options(lts_common INTERFACE -Wall -Wextra -Wold-style-cast -Woverloaded-virtual -pedantic
                                            -fvisibility-inlines-hidden)
target_compile_definitions(lts_common INTERFACE
  QT_DISABLE_DEPRECATED_UP_TO=0x060400
  QT_NO_CAST_FROM_BYTEARRAY
  LTS_VERSION="${PROJECT_VERSION}")

if(LTS_SANITIZE OR LTS_FUZZ)
  set(lts_sanitizers address,undefined)
  if(LTS_FUZZ)
    set(lts_sanitizers ${lts_sanitizers},fuzzer-no-link)
  endif()
  target_compile_options(lts_common INTERFACE -fsanitize=${lts_sanitizers} -fno-omit-frame-pointer
                                              -fno-sanitize-recover=undefined)
  target_link_options(lts_common INTERFACE -fsanitize=address,undefined)
endif()
