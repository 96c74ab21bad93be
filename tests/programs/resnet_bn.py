"""A small residual network with batch normalisation, trained with SGD and momentum.

Basic blocks (conv-BN-ReLU-conv-BN plus a shortcut, a 1x1 convolution with BN where the
shape changes), global average pooling, a linear classifier and ``CrossEntropyLoss``
with label smoothing. Batch norm runs on batch statistics in train mode and on its
running statistics in eval mode; both are compared.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks=(1, 1), num_classes=5, width=4):
        super().__init__()
        self.in_planes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(width, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(2 * width, num_blocks[1], stride=2)
        self.avgpool = nn.AvgPool2d(4)
        self.linear = nn.Linear(2 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.avgpool(out)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def make_batch(step, n=6):
    rng = np.random.default_rng(10 + step)
    x = torch.tensor(rng.standard_normal((n, 3, 8, 8)))
    y = torch.tensor(rng.integers(0, 5, size=n))
    return x, y


def build(seed=0):
    torch.manual_seed(seed)
    return ResNet().double()


def train(model, steps=3):
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4,
                                nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.5)
    record = {}
    for step in range(steps):
        model.train()
        inputs, targets = make_batch(step)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        record[f"outputs.{step}"] = outputs.detach().numpy().copy()
        record[f"loss.{step}"] = loss.item()
        for name, p in model.named_parameters():
            record[f"grad.{step}.{name}"] = p.grad.detach().numpy().copy()
        optimizer.step()
        scheduler.step()
        _, predicted = outputs.max(1)
        record[f"correct.{step}"] = predicted.eq(targets).sum().item()
    for name, value in model.state_dict().items():      # weights and running statistics
        record[f"state.{name}"] = np.asarray(value, dtype=np.float64).copy()
    model.eval()
    with torch.no_grad():
        inputs, _ = make_batch(99)
        record["eval.outputs"] = model(inputs).numpy().copy()
    return record
