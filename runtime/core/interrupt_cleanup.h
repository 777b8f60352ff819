// Temporary files that must not outlive an interrupted process. Writers that build an output in a
// temporary file beside it (format/mbq_writer.cc, write_file_replacing) register the file here while
// it exists; a program that installs the handlers (the `mobiq` command line does, a library user may)
// has SIGINT and SIGTERM unlink every registered file and then die of that same signal, as it would
// have without the handler. SIGKILL cannot be caught: a `*.partial-XXXXXX` file it leaves behind is
// safe to delete, and the target it was meant to replace is never touched before the final rename.
#pragma once

#include <string>

namespace mobiq {

// Installs the SIGINT and SIGTERM handlers; idempotent. Signals whose disposition is "ignore" (a
// process started with nohup, say) stay ignored.
void install_interrupt_cleanup();

// Registers `path` for removal on an interrupt; returns a slot for unregister_temp_file, or -1 when
// the table is full or the path too long (the file then merely survives an interrupt, as before).
// Thread-safe; the path is copied into a static buffer the signal handler reads without allocating.
int register_temp_file(const std::string& path);

// Forgets a slot (after the file was renamed into place or removed). A negative slot is ignored.
void unregister_temp_file(int slot);

}  // namespace mobiq
