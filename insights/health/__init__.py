"""Partner health: a 0–100 score per partner from its activity, explained component by component."""
