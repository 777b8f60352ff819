# Cross-compiles for aarch64 Linux with Debian's gcc-aarch64-linux-gnu and :arm64 -dev packages.
# Run the results with: qemu-aarch64 -L /usr/aarch64-linux-gnu ./mobiq ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# Tests (and gtest's test discovery) run the aarch64 binaries through qemu when it is installed.
find_program(MOBIQ_QEMU_AARCH64 qemu-aarch64)
if(MOBIQ_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MOBIQ_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
