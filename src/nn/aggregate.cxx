#include "nn/aggregate.hpp"
#include "kernels/kernels.hpp"

namespace {

class SegmentSumFunction : public torch::autograd::Function<SegmentSumFunction> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor edges, torch::Tensor rowptr, torch::Tensor receivers)
  {
    ctx->save_for_backward({receivers});
    return GNNKernelSegmentSum(edges, rowptr, torch::Tensor());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
  {
    auto receivers = ctx->get_saved_variables()[0];
    return {grads[0].index_select(0, receivers), torch::Tensor(), torch::Tensor()};
  }
};

} // namespace

torch::Tensor GNNSegmentSum(const torch::Tensor &edges, const torch::Tensor &rowptr, const torch::Tensor &receivers)
{
  return SegmentSumFunction::apply(edges, rowptr, receivers);
}
