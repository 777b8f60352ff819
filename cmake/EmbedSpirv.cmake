# Build-time step of the Vulkan backend: writes one SPIR-V module (.spv) as a C++ byte array.
#   cmake -DINPUT=x.spv -DOUTPUT=x.cc -DNAME=rms_norm -P EmbedSpirv.cmake
# The array is uint32_t (SPIR-V is a stream of 32-bit words), so vkCreateShaderModule can take it as is.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR remainder "${hex_length} % 8")
if(NOT remainder EQUAL 0)
  message(FATAL_ERROR "${INPUT}: not a whole number of 32-bit SPIR-V words")
endif()
# Each 8 hex digits are one little-endian word: reverse the byte order into a 0x literal.
string(REGEX REPLACE "([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])"
       "0x\\4\\3\\2\\1u," words "${hex}")
string(REGEX REPLACE "(0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,0x[0-9a-f]+u,)"
       "\\1\n    " words "${words}")
file(WRITE "${OUTPUT}"
"// Generated from ${NAME}.comp by cmake/EmbedSpirv.cmake; do not edit.
#include \"backends/vulkan/spirv_table.h\"

namespace mobiq::vulkan::spirv {
namespace {
const uint32_t kWords[] = {
    ${words}
};
}  // namespace
extern const SpirvModule k_${NAME} = {\"${NAME}\", kWords, sizeof(kWords) / sizeof(kWords[0])};
}  // namespace mobiq::vulkan::spirv
")
