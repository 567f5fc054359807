"""Console pages of the enablement app, one module per area."""
