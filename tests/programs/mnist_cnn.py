"""An MNIST-style convolutional classifier script, on generated 28x28 images.

Two convolutions, max pooling, dropout, two linear layers, ``log_softmax`` and
``nll_loss``; Adadelta with StepLR; a test loop counting correct answers with
``argmax(dim=1, keepdim=True)`` and ``.eq(...).sum().item()``.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, dropout=(0.25, 0.5)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(dropout[0])
        self.dropout2 = nn.Dropout(dropout[1])
        self.fc1 = nn.Linear(8 * 12 * 12, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def make_data(n, seed):
    """Random images normalised as MNIST usually is, and labels from a fixed rule."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 28, 28))
    labels = (images[:, 0, :14, :].sum(axis=(1, 2)) * 7).astype(np.int64) % 10
    images = torch.tensor((images - 0.1307) / 0.3081)
    return TensorDataset(images, torch.tensor(labels))


def train(model, device, train_loader, optimizer, epoch, record):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        record[f"loss.{epoch}.{batch_idx}"] = loss.item()
        if batch_idx == 0:
            record[f"output.{epoch}"] = output.detach().numpy().copy()
            for name, p in model.named_parameters():
                record[f"grad.{epoch}.{name}"] = p.grad.detach().numpy().copy()
        optimizer.step()


def test(model, device, test_loader, record):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    record["test_loss"] = test_loss
    record["correct"] = correct
    return 100.0 * correct / len(test_loader.dataset)


def build(seed=0, dropout=(0.0, 0.0)):
    torch.manual_seed(seed)
    return Net(dropout).double()


def main(model, epochs=3):
    """The script's main loop; returns what the test compares."""
    device = torch.device("cpu")
    model = model.to(device)
    train_loader = DataLoader(make_data(48, seed=1), batch_size=16, shuffle=False)
    test_loader = DataLoader(make_data(40, seed=2), batch_size=20)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    record = {}
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, epoch, record)
        record[f"lr.{epoch}"] = scheduler.get_last_lr()[0]
        scheduler.step()
    record["accuracy"] = test(model, device, test_loader, record)
    for name, p in model.named_parameters():
        record[f"weight.{name}"] = p.detach().numpy().copy()
    return record
