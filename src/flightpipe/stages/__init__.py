"""The pipeline's stages: plain functions of (settings, store, inputs) returning small results."""
