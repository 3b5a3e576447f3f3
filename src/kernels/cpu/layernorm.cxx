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
   GPU's bodies (gnnk::LayerNormBoundChunkAt, LayerNormFixedChunkAt) on its chunks of rows, in
   parallel over the chunks; maxima and integer sums, so neither the chunks nor their order change
   a bit */
template <typename T>
static void LayerNormParamsFixed(const T *g, const T *x, int64_t M, int64_t H, const T *mean, const T *rstd, T *dgamma, T *dbeta, const GNNReproReduce *rr)
{
  const int64_t       chunks = gnnk::OuterChunks(M), rows = gnnk::OuterChunkRows(M);
  std::vector<double> mx(chunks * 2 * H), maxima(2 * H, 0.0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c++)
      for (int64_t e = 0; e < 2 * H; e++) mx[c * 2 * H + e] = gnnk::LayerNormBoundChunkAt(g, x, mean, rstd, M, H, rows, c, e);
  });
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t e = 0; e < 2 * H; e++) maxima[e] = gnnk::MaxAbs(maxima[e], mx[c * 2 * H + e]);
  const gnnrepro::ColumnScales s = gnnrepro::AgreeColumnScales(rr, M, 2 * H, maxima.data());
  std::vector<int64_t>         part(chunks * 2 * H), sum(2 * H, 0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c++)
      for (int64_t e = 0; e < 2 * H; e++) part[c * 2 * H + e] = gnnk::LayerNormFixedChunkAt(g, x, mean, rstd, M, H, rows, c, e, s.f.data());
  });
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t e = 0; e < 2 * H; e++) sum[e] += part[c * 2 * H + e];
  std::vector<T> out(2 * H);
  gnnrepro::ColumnsFromFixed(rr, s, sum.data(), out.data());
  for (int64_t e = 0; e < H; e++) {
    dgamma[e] = out[e];
    dbeta[e]  = out[H + e];
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
