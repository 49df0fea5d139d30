"""Fine-tuning causal language models on a corpus.

Import the pieces from their modules (``tweetgen.training.config.TrainConfig``,
``tweetgen.training.trainer.Trainer``); this package imports nothing heavy.
"""
