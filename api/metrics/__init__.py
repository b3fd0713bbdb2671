"""Request metrics out (/metrics) and the PromQL summary back in (metrics/summary/)."""
