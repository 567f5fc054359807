"""Partner programs, tiers, requirements, benefits and tier evaluation."""
