// Which kernel sets this build has and which of them this CPU runs. Every SIMD set lives in its own
// translation units compiled with that ISA's flags; nothing of theirs runs before this check.
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/cpu/kernels/kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
#endif

namespace mobiq::cpu {

extern const KernelSet kReferenceKernels;
#if defined(__x86_64__)
extern const KernelSet kAvx512VnniKernels;
extern const KernelSet kAvx2Kernels;
#endif
#if defined(__aarch64__)
extern const KernelSet kNeonI8mmKernels;
extern const KernelSet kNeonDotprodKernels;
#endif

namespace {

#if defined(__x86_64__)
// F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
bool has_f16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}
#endif

std::vector<const KernelSet*> detect() {
  std::vector<const KernelSet*> sets;
#if defined(__x86_64__)
  // libgcc's check includes the OS saving the YMM state (XGETBV).
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
    sets.push_back(&kAvx512VnniKernels);
  if (avx2) sets.push_back(&kAvx2Kernels);
#endif
#if defined(__aarch64__) && defined(__linux__)
  // neon-i8mm runs neon-dotprod's kernels for single tokens, so it needs both (every core with
  // i8mm has dotprod, but the check costs nothing).
  const bool dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  if (dotprod && (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0) sets.push_back(&kNeonI8mmKernels);
  if (dotprod) sets.push_back(&kNeonDotprodKernels);
#endif
  sets.push_back(&kReferenceKernels);
  return sets;
}

// Every set this build has, available or not, for telling "unknown" from "not on this CPU".
constexpr const char* kCompiledIn[] = {
    "scalar",
#if defined(__x86_64__)
    "avx512-vnni",
    "avx2",
#endif
#if defined(__aarch64__)
    "neon-i8mm",
    "neon-dotprod",
#endif
};

}  // namespace

std::span<const KernelSet* const> available_kernel_sets() {
  static const std::vector<const KernelSet*> sets = detect();
  return sets;
}

Result<const KernelSet*> kernel_set_by_name(std::string_view name) {
  for (const KernelSet* set : available_kernel_sets())
    if (name == set->name) return set;
  std::string known;
  for (const char* n : kCompiledIn) known += std::string(known.empty() ? "" : ", ") + n;
  for (const char* n : kCompiledIn)
    if (name == n) return unsupported("kernel set '" + std::string(name) + "' needs CPU features this machine lacks");
  return invalid_argument("unknown kernel set '" + std::string(name) + "' (this build has: " + known + ")");
}

Result<const KernelSet*> best_kernel_set() {
  if (const char* forced = std::getenv("MOBIQ_KERNELS"); forced != nullptr && *forced != '\0')
    return kernel_set_by_name(forced);
  return available_kernel_sets().front();
}

}  // namespace mobiq::cpu
