"""Treatment options for the leading diagnoses, each checked by medication safety."""
