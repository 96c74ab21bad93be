"""A character-level RNN stepped by hand, with truncated backpropagation through time and
a checkpoint saved and restored in the middle of training.

``nn.Embedding`` → ``nn.LSTMCell`` called once per character (the state carried across
chunks and ``detach()``-ed at each chunk boundary) → ``nn.Linear`` logits; the loss of a
chunk is ``F.cross_entropy`` over its ``stack``-ed logits. RMSprop, ``clip_grad_value_``,
``ReduceLROnPlateau`` on the chunk loss. Halfway, ``torch.save`` writes the model's and the
optimiser's state dicts and ``torch.load`` reads them into fresh objects, which finish the
run; then greedy decoding with ``argmax`` under ``torch.no_grad()``.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = "the quick brown fox jumps over the lazy dog and the cat naps in the sun "
CHARS = sorted(set(TEXT))
STOI = {c: i for i, c in enumerate(CHARS)}


class CharRNN(nn.Module):
    def __init__(self, vocab, embed=8, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.cell = nn.LSTMCell(embed, hidden)
        self.out = nn.Linear(hidden, vocab)
        self.hidden = hidden

    def init_state(self, batch):
        z = torch.zeros(batch, self.hidden, dtype=self.out.weight.dtype)
        return z, z.clone()

    def forward(self, idx, state):
        logits = []
        h, c = state
        for t in range(idx.shape[1]):
            h, c = self.cell(self.embed(idx[:, t]), (h, c))
            logits.append(self.out(h))
        return torch.stack(logits, dim=1), (h, c)          # (B, T, V)


def batches(chunk=6, batch=2):
    data = torch.tensor([STOI[c] for c in TEXT])
    n = (len(data) - 1) // batch
    x = data[:n * batch].view(batch, n)
    y = data[1:n * batch + 1].view(batch, n)
    for i in range(0, n - chunk + 1, chunk):
        yield x[:, i:i + chunk], y[:, i:i + chunk]


def build(seed=0):
    torch.manual_seed(seed)
    return CharRNN(len(CHARS)).double()


def _optimizer(model):
    opt = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.5)
    return opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)


def _epoch(model, optimizer, scheduler, record, tag):
    state = model.init_state(2)
    for k, (x, y) in enumerate(batches()):
        state = tuple(s.detach() for s in state)           # truncated BPTT
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        optimizer.step()
        scheduler.step(loss.item())
        record[f"loss.{tag}.{k}"] = loss.item()
        record[f"lr.{tag}.{k}"] = optimizer.param_groups[0]["lr"]


def train(model, path, epochs=2):
    """One epoch, a checkpoint round trip through ``path``, one more epoch, decoding."""
    record = {}
    optimizer, scheduler = _optimizer(model)
    _epoch(model, optimizer, scheduler, record, 0)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    checkpoint = torch.load(path)
    model = build(seed=1)                                   # different weights, then restored
    model.load_state_dict(checkpoint["model"])
    optimizer, scheduler = _optimizer(model)
    optimizer.load_state_dict(checkpoint["optimizer"])
    for epoch in range(1, epochs):
        _epoch(model, optimizer, scheduler, record, epoch)
    model.eval()
    with torch.no_grad():
        idx = torch.tensor([[STOI["t"]]])
        state = model.init_state(1)
        out = []
        for _ in range(12):
            logits, state = model(idx, state)
            idx = logits[:, -1].argmax(dim=-1, keepdim=True)
            out.append(idx.item())
    record["decoded"] = out
    for name, value in model.state_dict().items():
        # (minidl's state dict holds NumPy arrays, as its SPEC says; np.array reads both)
        record[f"state.{name}"] = np.array(value)
    return record
