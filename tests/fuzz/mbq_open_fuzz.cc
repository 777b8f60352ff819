// The .mbq open-verify-load path: preamble, flatbuffer verification, segment bounds, checksums, then
// the model (config, tokenizer, weights views). The first byte picks checksum verification on or off,
// so mutations get past the checksums too (a caller may open a trusted file without them).
#include <cstdint>

#include "format/mbq_reader.h"
#include "runtime/model/model.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool verify = (data[0] & 1) != 0;
  const std::string& path = mobiq::fuzz::write_input(data + 1, size - 1, ".mbq");

  mobiq::MbqReadOptions read_options;
  read_options.verify_checksums = verify;
  auto file = mobiq::MbqFile::open(path, read_options);
  if (file.ok()) {
    const uint8_t* begin = file->mapping().data();
    const uint8_t* end = begin + file->mapping().size();
    for (uint32_t i = 0; i < file->segment_count(); ++i) {
      const uint8_t* s = file->segment_data(i);
      mobiq::fuzz::check(file->segment_size(i) == 0 || (s >= begin && s + file->segment_size(i) <= end));
    }
  }

  mobiq::MbqOpenOptions options;
  options.verify_checksums = verify;
  auto model = mobiq::Model::open_mbq(path, options);
  if (model.ok()) {
    auto ids = model->tokenizer().encode("Hello, world");
    if (ids.ok()) (void)model->tokenizer().decode(*ids);
  } else {
    mobiq::fuzz::check(!model.status().message().empty());
  }
  return 0;
}
