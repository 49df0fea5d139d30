"""What every layer leans on: atomic file writing, secrets, path fields, the cores to use."""
