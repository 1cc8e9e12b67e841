"""The Kronodroid autoencoder: a fully connected encoder and decoder, trained with Lightning.

The network itself (`Autoencoder`) is a plain stack of Linear and ReLU layers, so that each
exported form (ExecuTorch, ONNX, TFLite) holds exactly the same computation; the Lightning
module (`AutoencoderTask`) adds the loss, the optimiser and the per-epoch metrics.
Inputs are standardised with the training split's mean and standard deviation before they
reach the network (the statistics travel in the model folder's config.json).
"""
import pytorch_lightning as pl
import torch
from torch import nn


class Autoencoder(nn.Module):
    """input -> hidden -> latent -> hidden -> input, ReLU between layers (none on the code or output)."""

    def __init__(self, input_dim, latent_dim, hidden_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def layers(self):
        """[(Linear, relu_after)] in order: what the TFLite writer turns into FULLY_CONNECTED ops."""
        return [(self.encoder[0], True), (self.encoder[2], False), (self.decoder[0], True), (self.decoder[2], False)]


class AutoencoderTask(pl.LightningModule):
    def __init__(self, input_dim, latent_dim, hidden_dim, learning_rate):
        super().__init__()
        self.save_hyperparameters()
        self.net = Autoencoder(input_dim, latent_dim, hidden_dim)
        self.learning_rate = learning_rate
        self.history = []  # one {"epoch", "train_loss", "val_loss"} per epoch
        self._train_losses = []

    def forward(self, x):
        return self.net(x)

    def _loss(self, batch):
        (x,) = batch
        return nn.functional.mse_loss(self.net(x), x)

    def training_step(self, batch, _index):
        loss = self._loss(batch)
        self._train_losses.append(loss.detach())
        return loss

    def validation_step(self, batch, _index):
        self.log("val_loss", self._loss(batch), on_epoch=True, prog_bar=False, batch_size=batch[0].shape[0])

    def test_step(self, batch, _index):
        self.log("test_loss", self._loss(batch), on_epoch=True, batch_size=batch[0].shape[0])

    def on_validation_epoch_end(self):
        if self.trainer.sanity_checking or not self._train_losses:
            return
        train_loss = float(torch.stack(self._train_losses).mean())
        self._train_losses = []
        self.history.append({"epoch": self.current_epoch, "train_loss": train_loss, "val_loss": float(self.trainer.callback_metrics["val_loss"])})

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.learning_rate)


def reconstruction_errors(net, x):
    """Mean squared error per row."""
    with torch.no_grad():
        return ((net(x) - x) ** 2).mean(dim=1)


def roc_auc(scores, labels):
    """Area under the ROC curve of `scores` for labels 1 vs 0 (Mann-Whitney U), or None with one class."""
    import numpy as np

    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order), dtype=np.float64)
    ranks[order] = np.arange(1, len(order) + 1)
    # Ties get their mean rank.
    values = np.concatenate([pos, neg])
    for v in np.unique(values):
        tie = values == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))
