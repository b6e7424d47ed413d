-- A signal counts in the period of the moment its rule fired for (the
-- deadline passed, the fact happened), not of when supervision issued it.
CREATE INDEX signals_due ON signals(due_at);
