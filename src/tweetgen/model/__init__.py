"""The model folder: base models, checks, finishing, the card, novelty index and the Hub."""
