#include "tools/quantizer/calibration/cholesky.h"

#include <cmath>
#include <string>

namespace mobiq {

Status cholesky_lower(std::vector<double>& a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double* row_j = a.data() + j * n;
    double d = row_j[j];
    for (int64_t k = 0; k < j; ++k) d -= row_j[k] * row_j[k];
    if (!(d > 0.0)) return invalid_argument("matrix is not positive definite at pivot " + std::to_string(j));
    const double l_jj = std::sqrt(d);
    row_j[j] = l_jj;
    for (int64_t i = j + 1; i < n; ++i) {
      double* row_i = a.data() + i * n;
      double s = row_i[j];
      for (int64_t k = 0; k < j; ++k) s -= row_i[k] * row_j[k];
      row_i[j] = s / l_jj;
    }
    for (int64_t k = j + 1; k < n; ++k) row_j[k] = 0.0;
  }
  return Status::Ok();
}

// inverse(a) = (L L^T)^-1 = L^-T L^-1. Its upper Cholesky factor U satisfies U^T U = inverse(a), which
// is the Cholesky factor of inverse(a) computed directly: invert L, form the inverse, factor again.
Status inverse_cholesky_upper(std::vector<double> a, int64_t n, std::vector<double>& u) {
  MOBIQ_RETURN_IF_ERROR(cholesky_lower(a, n));
  // Linv: lower triangular inverse of L, by forward substitution column by column.
  std::vector<double> linv(n * n, 0.0);
  for (int64_t j = 0; j < n; ++j) {
    linv[j * n + j] = 1.0 / a[j * n + j];
    for (int64_t i = j + 1; i < n; ++i) {
      double s = 0.0;
      for (int64_t k = j; k < i; ++k) s += a[i * n + k] * linv[k * n + j];
      linv[i * n + j] = -s / a[i * n + i];
    }
  }
  // inverse(a) = Linv^T Linv: entry (i, j) = sum_k Linv[k][i] Linv[k][j], k >= max(i, j).
  std::vector<double> inv(n * n, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    const double* row = linv.data() + k * n;
    for (int64_t i = 0; i <= k; ++i) {
      const double r = row[i];
      if (r == 0.0) continue;
      double* out = inv.data() + i * n;
      for (int64_t j = i; j <= k; ++j) out[j] += r * row[j];
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) inv[i * n + j] = inv[j * n + i];
  MOBIQ_RETURN_IF_ERROR(cholesky_lower(inv, n));
  u.assign(n * n, 0.0);  // U = L^T of inverse(a)'s factor
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) u[j * n + i] = inv[i * n + j];
  return Status::Ok();
}

}  // namespace mobiq
