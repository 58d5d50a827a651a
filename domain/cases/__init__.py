"""Compliance cases: the officer queue every process opens cases in, its audit trail, and
the decision rules officers rely on (roles, four-eyes), the same for every kind of case."""
