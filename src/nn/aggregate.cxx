#include "nn/aggregate.hpp"
#include <ATen/Parallel.h>

namespace {

/* out[i] = sum of the rows e[perm[q]] (e[q] without perm), q = rowptr[i] .. rowptr[i+1]-1 in order */
template <typename T>
void SegmentSumKernel(const T *e, const int64_t *rowptr, const int64_t *perm, int64_t n, int64_t H, T *out)
{
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      T *o = out + i * H;
      for (int64_t h = 0; h < H; h++) o[h] = 0;
      for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) {
        const T *eq = e + (perm ? perm[q] : q) * H;
        for (int64_t h = 0; h < H; h++) o[h] += eq[h];
      }
    }
  });
}

class SegmentSumFunction : public torch::autograd::Function<SegmentSumFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor edges, torch::Tensor rowptr, torch::Tensor receivers)
  {
    ctx->save_for_backward({receivers});
    return GNNSegmentSumRows(edges, rowptr, torch::Tensor());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto receivers = ctx->get_saved_variables()[0];
    return {grads[0].index_select(0, receivers), torch::Tensor(), torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNSegmentSumRows(const torch::Tensor &rows, const torch::Tensor &ptr, const torch::Tensor &perm)
{
  auto    r   = rows.contiguous();
  int64_t n   = ptr.size(0) - 1, H = r.size(1);
  auto    out = torch::empty({n, H}, r.options());
  AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "GNNSegmentSumRows", [&] { SegmentSumKernel<scalar_t>(r.data_ptr<scalar_t>(), ptr.data_ptr<int64_t>(), perm.defined() ? perm.data_ptr<int64_t>() : nullptr, n, H, out.data_ptr<scalar_t>()); });
  return out;
}

torch::Tensor GNNSegmentSum(const torch::Tensor &edges, const torch::Tensor &rowptr, const torch::Tensor &receivers)
{
  return SegmentSumFunction::apply(edges, rowptr, receivers);
}
