"""Alerts: rules on metrics (:mod:`.rules`) and the life of each alert (:mod:`.states`), pure;
the checks that observe the warehouse are ``services.alert_checks``."""
