"""Per-user fine-tuning: LoRA adapters trained on a user's own data, served only to them."""
