"""Language models: in-process transformers models and OpenAI-compatible servers."""
