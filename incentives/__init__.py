"""Incentive plans, commission runs, payouts, statements, bank transfer files and MDF."""
