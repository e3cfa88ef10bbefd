# One INTERFACE target with the compile settings every target of the project shares.
add_library(lts_common INTERFACE)
target_compile_options(lts_common INTERFACE -Wall -Wextra)
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
