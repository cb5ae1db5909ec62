"""scikit-learn estimators for monotone modelling (issue 9): filled in by the estimators work."""

__all__: list[str] = []
