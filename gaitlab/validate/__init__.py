"""End-to-end accuracy on rendered synthetic clips (``gaitlab validate``, issue 6 §5): the sweep
(:mod:`.sweep`), per-clip scoring against the gait model's truth (:mod:`.score`), pooled tables, targets
and the generated section of docs/validation.md (:mod:`.report`), the command (:mod:`.cli`)."""
