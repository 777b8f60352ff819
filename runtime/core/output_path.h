// Commands never write over what they read: an output path that already names one of the command's
// inputs (the same file through any path or link) is refused before anything is written.
#pragma once

#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/status.h"

namespace mobiq {

// invalid_argument "refusing to write OUTPUT: it is WHAT" when `output` exists and is `input`.
Status refuse_output_over_input(const std::string& output, const std::string& input, const std::string& what);

// What a command reading a checkpoint directory must not write over: `dir` itself and every entry
// directly in it. io_error when `dir` cannot be listed.
Result<std::vector<std::string>> directory_and_entries(const std::string& dir);

// refuse_output_over_input for each of `inputs`, naming the input hit: "it is an input (PATH)".
Status refuse_output_over_inputs(const std::string& output, const std::vector<std::string>& inputs);

// Whether `output` can be written the way write_file_replacing and MbqWriter write it (a temporary
// file in its directory, renamed over it), checked before a command's long work so a typo costs
// seconds, not the whole run: kNotFound when the directory is missing, kInvalidArgument when the path
// names a directory or something other than a regular file (a rename would replace /dev/null itself),
// kIoError when the directory is not writable.
Status check_output_writable(const std::string& output);

// Writes `bytes` to a temporary file beside `path` and renames it over `path`: readers see the old
// file or the new one, never a part. The temporary file is removed on failure and, where the program
// installed runtime/core/interrupt_cleanup.h's handlers, on SIGINT/SIGTERM.
Status write_file_replacing(const std::string& path, const std::string& bytes);

}  // namespace mobiq
