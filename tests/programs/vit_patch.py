"""A tiny Vision Transformer: patch embedding by reshapes (einops-style), a class token,
learned positions, a pre-norm ``nn.TransformerEncoder`` and a linear head.

``rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)")`` is written with ``reshape``
and ``permute``; the class token is ``expand``-ed over the batch and ``cat``-ed in front.
AdamW with a linear warm-up (``LinearLR``), evaluation under ``torch.no_grad()`` with
``argmax`` accuracy.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def patchify(x, p):
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // p, p, w // p, p)
    x = x.permute(0, 2, 4, 3, 5, 1)                    # b, h, w, p1, p2, c
    return x.reshape(b, (h // p) * (w // p), p * p * c)


class ViT(nn.Module):
    def __init__(self, image=8, patch=4, channels=2, dim=16, depth=2, heads=2, classes=3):
        super().__init__()
        self.patch = patch
        n = (image // patch) ** 2
        self.to_embedding = nn.Linear(patch * patch * channels, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model=dim, nhead=heads, dim_feedforward=32,
                                           dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, img):
        x = self.to_embedding(patchify(img, self.patch))           # (B, N, dim)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embedding
        x = self.encoder(x)
        return self.head(self.norm(x[:, 0]))


def make_data(n, seed):
    """Two-channel 8x8 images; the class is the quadrant with the brightest mean."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n, 2, 8, 8))
    labels = rng.integers(0, 3, size=n)
    for i, c in enumerate(labels):
        images[i, :, 4 * (c // 2):4 * (c // 2) + 4, 4 * (c % 2):4 * (c % 2) + 4] += 1.5
    return torch.tensor(images), torch.tensor(labels)


def build(seed=0):
    torch.manual_seed(seed)
    return ViT().double()


def train(model, steps=6):
    x, y = make_data(24, seed=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=3)
    record = {"patches": patchify(x[:2], 4).detach().numpy().copy()}
    for step in range(steps):
        model.train()
        batch = slice(8 * (step % 3), 8 * (step % 3) + 8)
        logits = model(x[batch])
        loss = F.cross_entropy(logits, y[batch], label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        record[f"grad.{step}.cls"] = model.cls_token.grad.detach().numpy().copy()
        optimizer.step()
        warmup.step()
        record[f"loss.{step}"] = loss.item()
        record[f"lr.{step}"] = optimizer.param_groups[0]["lr"]
    model.eval()
    with torch.no_grad():
        xt, yt = make_data(30, seed=2)
        logits = model(xt)
        pred = logits.argmax(dim=-1)
        record["logits"] = logits.numpy().copy()
        record["accuracy"] = (pred == yt).float().mean().item()
    return record
