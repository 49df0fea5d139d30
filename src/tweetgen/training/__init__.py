"""Fine-tuning causal language models on a corpus."""
