"""The Iris pipeline's steps (pipelines/iris.ts): python -m src.pipelines.<step>."""
