"""The model path's prompt templates, shipped inside the package as ``llmparse.prompts``."""
