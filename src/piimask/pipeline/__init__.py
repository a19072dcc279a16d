"""The lab: generate, label and validate, train, evaluate, realism, reports (one module per stage)."""
