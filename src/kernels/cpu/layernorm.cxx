/* LayerNorm on the CPU: rows in parallel through the bodies shared with the GPU (row statistics,
   outputs, the row's dx), and the parameters' gradients in the GPU's fixed chunks of rows added in
   chunk order, so that every result is the GPU's, bit for bit, and does not depend on threads */
#include "kernels/cpu/cpukernels.hpp"
#include "kernels/gnnkernelbodies.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <vector>

template <typename T>
void GNNLayerNormForwardRows(const T *x, int64_t M, int64_t H, const T *gamma, const T *beta, T eps, T *y, T *mean, T *rstd)
{
  at::parallel_for(0, M, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) gnnk::LayerNormRow(x + i * H, H, gamma, beta, eps, y + i * H, mean[i], rstd[i]);
  });
}

/* dgamma and dbeta as reproducible sums over the rows of all ranks (src/sys/gnnreprosum.h): the
   terms g xhat (xhat as LayerNormParamChunkAt computes it; the product in double, exact for
   float32) and g, bounded per column by the global maximum of |term|, in int64 */
template <typename T>
static void LayerNormParamsFixed(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, T *dgamma, T *dbeta, const GNNReproReduce *rr)
{
  auto term = [&](int64_t i, int64_t e) { return e < H ? (double)g[i * H + e] * (double)((x[i * H + e] - mean[i]) * rstd[i]) : (double)g[i * H + e - H]; };
  const int            nt = at::get_num_threads();
  const int64_t        per = (M + nt - 1) / nt;
  std::vector<std::vector<double>> mx(nt, std::vector<double>(2 * H, 0.0));
  at::parallel_for(0, nt, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; t++)
      for (int64_t i = t * per; i < std::min(M, (t + 1) * per); i++)
        for (int64_t e = 0; e < 2 * H; e++) mx[t][e] = std::max(mx[t][e], std::fabs(term(i, e)));
  });
  std::vector<int64_t> ag(1 + 2 * H, 0);
  ag[0] = M;
  for (int64_t e = 0; e < 2 * H; e++) {
    double m = 0;
    for (int t = 0; t < nt; t++) m = std::max(m, mx[t][e]);
    ag[1 + e] = gnnrepro::BoundExponent(m);
  }
  rr->agree(rr->ctx, ag.data(), 1 + 2 * H);
  const int64_t       room = gnnrepro::kFixedBits - gnnrepro::BitLength(ag[0]);
  std::vector<double> f(2 * H);
  for (int64_t e = 0; e < 2 * H; e++) f[e] = gnnrepro::Pow2(room - ag[1 + e]);
  std::vector<std::vector<int64_t>> part(nt, std::vector<int64_t>(2 * H, 0));
  at::parallel_for(0, nt, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; t++)
      for (int64_t i = t * per; i < std::min(M, (t + 1) * per); i++)
        for (int64_t e = 0; e < 2 * H; e++) part[t][e] += gnnrepro::ToFixed(term(i, e) * f[e]);
  });
  std::vector<int64_t> sum(2 * H, 0);
  for (int t = 0; t < nt; t++)
    for (int64_t e = 0; e < 2 * H; e++) sum[e] += part[t][e];
  rr->sum(rr->ctx, sum.data(), 2 * H);
  for (int64_t e = 0; e < 2 * H; e++) {
    const T s = (T)std::ldexp((double)sum[e], (int)(ag[1 + e] - room));
    if (e < H) dgamma[e] = s;
    else dbeta[e - H] = s;
  }
}

template <typename T>
void GNNLayerNormBackwardRows(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, const T *gamma, T *dx, T *dgamma, T *dbeta, const GNNReproReduce *rr)
{
  if (dx)
    at::parallel_for(0, M, 256, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) gnnk::LayerNormBackwardRow(g + i * H, x + i * H, H, mean[i], rstd[i], gamma, dx + i * H);
    });
  if (rr) {
    LayerNormParamsFixed(g, x, M, H, mean, rstd, dgamma, dbeta, rr);
    return;
  }
  const int64_t  chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
  std::vector<T> work(chunks * 2 * H);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c++)
      for (int64_t e = 0; e < 2 * H; e++) work[c * 2 * H + e] = gnnk::LayerNormParamChunkAt(g, x, mean, rstd, M, H, rows, c, e);
  });
  for (int64_t e = 0; e < 2 * H; e++) {
    const T s = gnnk::OuterSumAt(work.data(), chunks, 2 * H, e);
    if (e < H) dgamma[e] = s;
    else dbeta[e - H] = s;
  }
}

#define GNN_LAYERNORM_INSTANTIATE(T) \
  template void GNNLayerNormForwardRows<T>(const T *, int64_t, int64_t, const T *, const T *, T, T *, T *, T *); \
  template void GNNLayerNormBackwardRows<T>(const T *, const T *, int64_t, int64_t, const T *, const T *, const T *, T *, T *, T *, const GNNReproReduce *);
GNN_LAYERNORM_INSTANTIATE(float)
GNN_LAYERNORM_INSTANTIATE(double)
