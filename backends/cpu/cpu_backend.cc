#include "backends/cpu/cpu_backend.h"

#include <new>
#include <string>

#include "backends/cpu/cpu_executor.h"

namespace mobiq {

Status CpuBackend::supports(const Model& model) const {
  const ModelConfig& c = model.config();
  if (c.head_dim % 2 != 0) return unsupported("head_dim " + std::to_string(c.head_dim) + " is odd (rope needs pairs)");
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0)
    return unsupported("attention heads (" + std::to_string(c.n_heads) + ") not a multiple of kv heads (" +
                       std::to_string(c.n_kv_heads) + ")");
  if (static_cast<int>(model.weights().layers.size()) != c.n_layers)
    return internal_error("model has " + std::to_string(model.weights().layers.size()) + " layers, config says " +
                          std::to_string(c.n_layers));
  return Status::Ok();
}

Result<std::unique_ptr<Executor>> CpuBackend::create_executor(const Model& model, const ExecutorOptions& options) {
  MOBIQ_RETURN_IF_ERROR(supports(model));
  if (options.context_size <= 0 || options.max_batch <= 0)
    return invalid_argument("context size and batch must be positive");
  try {
    return std::unique_ptr<Executor>(new cpu::CpuExecutor(model, options));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the KV cache and activations for a context of " +
                                               std::to_string(options.context_size) + " positions");
  }
}

}  // namespace mobiq
