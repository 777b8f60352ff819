#include "tools/quantizer/calibration/router_trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "runtime/core/half.h"
#include "runtime/math/router.h"

namespace mobiq {
namespace {

constexpr int kOut = kResidualPlanes;

// The router's input features: u = x / rms(x) and energy = log(mean(x^2)).
void features(const float* x, int32_t dim, float* u, float* energy) {
  double sq = 0.0;
  for (int32_t i = 0; i < dim; ++i) sq += static_cast<double>(x[i]) * x[i];
  const double mean = sq / dim + 1e-20;
  const float inv_rms = static_cast<float>(1.0 / std::sqrt(mean));
  for (int32_t i = 0; i < dim; ++i) u[i] = x[i] * inv_rms;
  *energy = static_cast<float>(std::log(mean));
}

struct Adam {
  std::vector<float> m, v;
  int64_t t = 0;
  explicit Adam(size_t n) : m(n, 0.0f), v(n, 0.0f) {}
  void step(std::vector<float>& p, const std::vector<float>& g, float lr) {
    ++t;
    const float b1 = 0.9f, b2 = 0.999f;
    const float c1 = 1.0f - std::pow(b1, static_cast<float>(t)), c2 = 1.0f - std::pow(b2, static_cast<float>(t));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + 1e-8f);
    }
  }
};

}  // namespace

RouterFit train_router(const float* x, const float* targets, int64_t n, int32_t dim, const RouterTrainingOptions& o) {
  const int32_t h = o.hidden;
  std::vector<float> u(n * dim), energy(n);
  for (int64_t t = 0; t < n; ++t) features(x + t * dim, dim, u.data() + t * dim, &energy[t]);

  // Start from the energy-only model: score_e = a_e * energy + b_e by least squares, which the hidden
  // units then refine.
  MbqRouter r;
  r.input_dim = dim;
  r.hidden = h;
  r.w1.resize(static_cast<size_t>(h) * dim);
  r.b1.assign(h, 0.0f);
  r.w2.assign(kOut * (h + 1), 0.0f);
  r.b2.assign(kOut, 0.0f);
  double e_mean = std::accumulate(energy.begin(), energy.end(), 0.0) / n, e_var = 0.0;
  for (float e : energy) e_var += (e - e_mean) * (e - e_mean);
  for (int k = 0; k < kOut; ++k) {
    double y_mean = 0.0, cov = 0.0;
    for (int64_t t = 0; t < n; ++t) y_mean += targets[t * kOut + k];
    y_mean /= n;
    for (int64_t t = 0; t < n; ++t) cov += (energy[t] - e_mean) * (targets[t * kOut + k] - y_mean);
    const double a = e_var > 0 ? cov / e_var : 0.0;
    r.w2[k * (h + 1) + h] = static_cast<float>(a);
    r.b2[k] = static_cast<float>(y_mean - a * e_mean);
  }
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> init(0.0f, 1.0f / std::sqrt(static_cast<float>(dim)));
  for (float& w : r.w1) w = init(rng);

  Adam adam_w1(r.w1.size()), adam_b1(r.b1.size()), adam_w2(r.w2.size()), adam_b2(r.b2.size());
  std::vector<float> g_w1(r.w1.size()), g_b1(h), g_w2(r.w2.size()), g_b2(kOut);
  std::vector<float> hidden(h), d_hidden(h);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t b0 = 0; b0 < n; b0 += o.batch) {
      const int64_t b1 = std::min<int64_t>(n, b0 + o.batch);
      std::fill(g_w1.begin(), g_w1.end(), 0.0f);
      std::fill(g_b1.begin(), g_b1.end(), 0.0f);
      std::fill(g_w2.begin(), g_w2.end(), 0.0f);
      std::fill(g_b2.begin(), g_b2.end(), 0.0f);
      const float scale = 2.0f / static_cast<float>((b1 - b0) * kOut);
      for (int64_t bi = b0; bi < b1; ++bi) {
        const int64_t t = order[bi];
        const float* ut = u.data() + t * dim;
        for (int j = 0; j < h; ++j) {
          float a = r.b1[j];
          const float* w = r.w1.data() + static_cast<int64_t>(j) * dim;
          for (int32_t i = 0; i < dim; ++i) a += w[i] * ut[i];
          hidden[j] = std::max(0.0f, a);
        }
        std::fill(d_hidden.begin(), d_hidden.end(), 0.0f);
        for (int k = 0; k < kOut; ++k) {
          const float* w2 = r.w2.data() + k * (h + 1);
          float y = r.b2[k] + w2[h] * energy[t];
          for (int j = 0; j < h; ++j) y += w2[j] * hidden[j];
          const float d = scale * (y - targets[t * kOut + k]);
          g_b2[k] += d;
          g_w2[k * (h + 1) + h] += d * energy[t];
          for (int j = 0; j < h; ++j) {
            g_w2[k * (h + 1) + j] += d * hidden[j];
            d_hidden[j] += d * w2[j];
          }
        }
        for (int j = 0; j < h; ++j) {
          if (hidden[j] <= 0.0f) continue;
          g_b1[j] += d_hidden[j];
          float* g = g_w1.data() + static_cast<int64_t>(j) * dim;
          for (int32_t i = 0; i < dim; ++i) g[i] += d_hidden[j] * ut[i];
        }
      }
      adam_w1.step(r.w1, g_w1, o.learning_rate);
      adam_b1.step(r.b1, g_b1, o.learning_rate);
      adam_w2.step(r.w2, g_w2, o.learning_rate);
      adam_b2.step(r.b2, g_b2, o.learning_rate);
    }
  }

  RouterFit fit;
  fit.router = std::move(r);
  const std::vector<float> scores = router_scores_of(fit.router, x, n);
  double ss_res = 0.0, ss_tot = 0.0;
  for (int k = 0; k < kOut; ++k) {
    double mean = 0.0;
    for (int64_t t = 0; t < n; ++t) mean += targets[t * kOut + k];
    mean /= n;
    for (int64_t t = 0; t < n; ++t) {
      const double d = scores[t * kOut + k] - targets[t * kOut + k], c = targets[t * kOut + k] - mean;
      ss_res += d * d;
      ss_tot += c * c;
    }
  }
  fit.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 0.0;
  return fit;
}

std::vector<float> router_scores_of(const MbqRouter& router, const float* x, int64_t n) {
  // Round through f16 as the file stores them, then run the runtime's own router op.
  auto rounded = [](const std::vector<float>& v) {
    std::vector<float> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = f16_to_f32(f32_to_f16(v[i]));
    return r;
  };
  const std::vector<float> w1 = rounded(router.w1), b1 = rounded(router.b1), w2 = rounded(router.w2), b2 = rounded(router.b2);
  RouterWeights view;
  view.in = router.input_dim;
  view.hidden = router.hidden;
  view.w1 = w1.data();
  view.b1 = b1.data();
  view.w2 = w2.data();
  view.b2 = b2.data();
  std::vector<float> hidden(router.hidden), scores(n * kOut);
  math::router_scores(view, x, n, hidden.data(), scores.data());
  return scores;
}

}  // namespace mobiq
