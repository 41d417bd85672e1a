"""LayerStudio engine."""
