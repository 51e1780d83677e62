"""What making a video costs: records, the calibrated cost model, estimates and budgets."""
