"""The pipeline's stages: plain functions of (store, inputs) returning small results."""
