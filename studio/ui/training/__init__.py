"""The training panel: `TrainingPanel(session)` over a `studio.training.session.TrainingSession`."""

from studio.ui.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
