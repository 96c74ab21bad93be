"""A character-level GPT, written as a PyTorch user would write it.

Token and position embeddings, pre-norm blocks of causal self-attention and an MLP, the
output head tied to the token embedding, AdamW with two parameter groups (weight decay on
matrices only), a cosine schedule, and sampling with top-k and ``multinomial``.
Attention runs either through ``F.scaled_dot_product_attention`` or written out with
``masked_fill`` on a ``tril`` buffer.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = "to be or not to be, that is the question: whether tis nobler in the mind to suffer"
CHARS = sorted(set(TEXT))
STOI = {ch: i for i, ch in enumerate(CHARS)}


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, fused):
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head
        self.fused = fused
        mask = torch.tril(torch.ones(block_size, block_size))
        self.register_buffer("bias", mask.view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size, fused):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size, fused)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.ModuleDict(dict(
            c_fc=nn.Linear(n_embd, 4 * n_embd),
            c_proj=nn.Linear(4 * n_embd, n_embd),
        ))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        h = F.gelu(self.mlp.c_fc(self.ln_2(x)))
        return x + self.mlp.c_proj(h)


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=16, fused=True):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, n_embd),
            wpe=nn.Embedding(block_size, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head, block_size, fused) for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight      # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        params = {name: p for name, p in self.named_parameters() if p.requires_grad}
        decay = [p for p in params.values() if p.dim() >= 2]
        no_decay = [p for p in params.values() if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def get_batch(step, batch_size=4, block_size=16):
    """A fixed batch per step (NumPy's seeded generator: the same in both runs)."""
    data = torch.tensor([STOI[c] for c in TEXT], dtype=torch.long)
    rng = np.random.default_rng(step)
    ix = rng.integers(0, len(data) - block_size - 1, size=batch_size).tolist()
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return x, y


def build(fused=True, seed=0):
    torch.manual_seed(seed)
    return GPT(len(CHARS), fused=fused).double()


def train(model, steps=3):
    """Train a few steps; record logits, losses, every gradient and the final weights."""
    record = {}
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    model.train()
    for step in range(steps):
        x, y = get_batch(step)
        logits, loss = model(x, y)
        record[f"logits.{step}"] = logits.detach().numpy().copy()
        record[f"loss.{step}"] = loss.item()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for name, p in model.named_parameters():
            record[f"grad.{step}.{name}"] = p.grad.detach().numpy().copy()
        optimizer.step()
        scheduler.step()
        record[f"lr.{step}"] = scheduler.get_last_lr()[0]
    for name, p in model.named_parameters():
        record[f"weight.{name}"] = p.detach().numpy().copy()
    model.eval()
    idx = torch.zeros((1, 1), dtype=torch.long)
    logits, _ = model(idx)
    record["eval.logits"] = logits.detach().numpy().copy()
    return record


def sample(model, seed=1, n=20):
    torch.manual_seed(seed)
    model.eval()
    start = torch.tensor([[STOI["t"]]], dtype=torch.long)
    out = model.generate(start, n, temperature=0.8, top_k=5)
    return "".join(CHARS[i] for i in out[0].tolist())
