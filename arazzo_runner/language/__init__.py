"""The expression language: runtime expressions (:mod:`.expressions`) and criteria (:mod:`.criteria`)."""
