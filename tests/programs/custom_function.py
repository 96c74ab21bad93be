"""Custom autograd Functions in a small regression MLP, the way a PyTorch user writes them.

``LinearFunction`` is the linear layer of PyTorch's "Extending torch.autograd" pattern
written out (``ctx.save_for_backward``, ``ctx.needs_input_grad``, ``None`` for an input
that needs no gradient); ``SoftClamp`` is a straight-through clamp (forward clamps,
backward passes the gradient unchanged, the usual quantisation trick); ``MulConstant``
takes a non-tensor argument. Trained with SGD + momentum + weight decay, gradient-norm
clipping and OneCycleLR; ``torch.autograd.gradcheck`` checks the custom Function.
"""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class SoftClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bound):
        return x.clamp(-bound, bound)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None            # straight through


class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        nn.init.uniform_(self.weight, -0.1, 0.1)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = MyLinear(3, 16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = MyLinear(16, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        h = SoftClamp.apply(self.fc2(h), 1.5)
        h = MulConstant.apply(torch.relu(h), 0.5)
        return self.fc3(h).squeeze(-1)


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 3))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    return TensorDataset(torch.tensor(x), torch.tensor(y))


def build(seed=0):
    torch.manual_seed(seed)
    return Net().double()


def gradcheck_ok():
    """The custom linear Function against central differences (float64)."""
    x = torch.tensor(np.random.default_rng(3).standard_normal((4, 3)), requires_grad=True)
    w = torch.tensor(np.random.default_rng(4).standard_normal((2, 3)), requires_grad=True)
    b = torch.tensor(np.random.default_rng(5).standard_normal(2), requires_grad=True)
    return torch.autograd.gradcheck(LinearFunction.apply, (x, w, b), eps=1e-6, atol=1e-4)


def train(model, epochs=3):
    loader = DataLoader(make_data(64, seed=1), batch_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=epochs,
                                                    steps_per_epoch=len(loader))
    loss_fn = nn.MSELoss()
    record = {}
    step = 0
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            record[f"norm.{step}"] = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            scheduler.step()
            record[f"loss.{step}"] = loss.item()
            record[f"lr.{step}"] = scheduler.get_last_lr()[0]
            step += 1
    model.eval()
    with torch.no_grad():
        x, y = make_data(32, seed=2).tensors
        record["test_mse"] = ((model(x) - y) ** 2).mean().item()
    for name, p in model.named_parameters():
        record[f"weight.{name}"] = p.detach().numpy().copy()
    return record
